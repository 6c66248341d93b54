// Docker's commands that need a registry client or an image builder, which nsbox does not have: pull, push, login,
// logout, search, build. Each says so on one line and names the tools that do it (skopeo, docker, podman, buildah),
// and how their result comes into nsbox (nsbox load, nsbox image import), whatever flags follow.

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';

type Missing = 'pull' | 'push' | 'login' | 'logout' | 'search' | 'build';

/** The first operand of the command line after `name` (the image of pull/push), if any. */
function operandAfter(name: string): string | undefined {
  const raw = process.argv.slice(2);
  if (raw[0] === '--') raw.shift();
  const words = raw.slice(raw.indexOf(name) + 1);
  // docker pull/push's flags that take a value as the next word
  const valued = ['--platform'];
  return words.find((w, i) => !w.startsWith('-') && !valued.includes(words[i - 1] ?? ''));
}

/** The error for `nsbox NAME [OPERAND]`: what nsbox lacks, and what to run instead. */
export function missingFeatureError(name: Missing, operand: string | undefined): NsboxError {
  const image = operand ?? 'IMAGE';
  const file = `${(image.split('/').pop() ?? image).split(/[:@]/)[0] || 'image'}.tar`;
  const tagged = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`;
  switch (name) {
    case 'pull':
      return new NsboxError(`cannot pull ${image}: nsbox has no registry client`, {
        hint: `skopeo copy docker://${image} docker-archive:${file}:${tagged} && nsbox load -i ${file} (or: docker save ${image} | nsbox load; a tiny image without any download: nsbox image import --from-host-busybox busybox)`,
      });
    case 'push':
      return new NsboxError(`cannot push ${image}: nsbox has no registry client`, {
        hint: `nsbox save ${image} -o ${file} && skopeo copy docker-archive:${file} docker://REGISTRY/${image}`,
      });
    case 'login':
    case 'logout':
    case 'search':
      return new NsboxError(`cannot ${name}: nsbox has no registry client`, { hint: `skopeo ${name === 'search' ? 'list-tags docker://IMAGE' : name} does it; then skopeo copy ... docker-archive:FILE and nsbox load -i FILE` });
    case 'build':
      return new NsboxError('cannot build: nsbox has no image builder', {
        hint: 'build with docker, podman or buildah, then: docker save IMAGE | nsbox load; or change a box by hand and nsbox commit BOX IMAGE',
      });
  }
}

function missing(name: Missing, usage: string, describe: string, hidden: boolean): NsboxCommand<Record<string, unknown>> {
  return {
    usage,
    describe,
    hidden,
    // Docker's flags (build -t, pull --platform) must not end in "unknown flag": the answer is the same for all.
    parsesOwnWords: (words) => !words.includes('--help') && !words.includes('-h'),
    builder: (y: Argv) => y.strict(false).parserConfiguration({ 'unknown-options-as-args': true }) as unknown as Argv<Record<string, unknown>>,
    handler: async () => {
      throw missingFeatureError(name, name === 'pull' || name === 'push' ? operandAfter(name) : undefined);
    },
  };
}

export const pull = missing('pull', 'pull [image]', 'not in nsbox (no registry client): prints how to get an image with skopeo or docker save, then nsbox load', false);
export const build = missing('build', 'build [context]', 'not in nsbox (no image builder): prints how to bring in an image built elsewhere', false);
export const push = missing('push', 'push [image]', 'not in nsbox (no registry client)', true);
export const login = missing('login', 'login [server]', 'not in nsbox (no registry client)', true);
export const logout = missing('logout', 'logout [server]', 'not in nsbox (no registry client)', true);
export const search = missing('search', 'search [term]', 'not in nsbox (no registry client)', true);
