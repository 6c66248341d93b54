// `nsbox unpause BOX...`: thaw paused boxes (see pause.ts).

import { freezerCommand } from './pause.js';

export const command = freezerCommand(false);
