// The error of a --format template (parse or execution), printed as Docker's "template: ..." line.

import { NsboxError } from '../errors.js';

export class TemplateError extends NsboxError {
  constructor(message: string) {
    super(`template: ${message}`, { exitCode: 1 });
    this.name = 'TemplateError';
  }
}
