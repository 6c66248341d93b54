// uvu's test() with real skips and hooks that report: a test whose precondition is missing is registered as
// skipped (counted by test/run.js, its reason printed), and a failing hook fails the tests it guards with its
// reason instead of being swallowed (uvu drops an exception thrown by before() or by after.each() in a failed
// test's clean-up: the suite then stops with no message at all).
//
// CI runs as root with every tool installed, so nothing may skip there: with NSBOX_TEST_NO_SKIP=1 (set by
// .ci/run) a skip is a failure that names what was missing.

import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';

type Hook = () => unknown;

export interface GatedTest {
  (name: string, fn: Hook): void;
  readonly before: ((fn: Hook) => void) & { readonly each: (fn: Hook) => void };
  readonly after: ((fn: Hook) => void) & { readonly each: (fn: Hook) => void };
  readonly run: () => void;
}

/** True when skipping is forbidden (CI): a skip fails instead. */
export const noSkip = process.env.NSBOX_TEST_NO_SKIP === '1';

/** The marker test/run.js counts for a skipped part of a test that otherwise ran. */
export const PART_MARKER = 'SKIP (part):';

const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/**
 * A test() for one file: when skipReason is set every test is a counted skip (a failure under
 * NSBOX_TEST_NO_SKIP=1) and only the after() hooks run (they clean up what the file made at load); otherwise tests run with hooks that report their errors.
 */
export function gatedTest(skipReason: string | undefined): GatedTest {
  const beforeAll: Hook[] = [];
  const beforeEach: Hook[] = [];
  const afterEach: Hook[] = [];
  const afterAll: Hook[] = [];
  let beforeError: string | undefined;
  let beforeRan = false;

  const runBefore = async (): Promise<void> => {
    if (beforeRan) return;
    beforeRan = true;
    for (const hook of beforeAll) {
      try {
        await hook();
      } catch (error) {
        beforeError = describe(error);
        console.log(`before() hook failed, every test of this file fails with it:\n${beforeError}`);
        return;
      }
    }
  };

  const test = ((name: string, fn: Hook) => {
    if (skipReason !== undefined) {
      if (noSkip) {
        uvuTest(name, () => {
          throw new Error(`skipped (${skipReason}), but NSBOX_TEST_NO_SKIP=1: this test must run here`);
        });
      } else {
        console.log(`SKIP: ${name}: ${skipReason}`);
        uvuTest.skip(name, () => {});
      }
      return;
    }
    uvuTest(name, async () => {
      // Shown only when the file fails (test/run.js): which test was running when it hung or crashed.
      console.log(`\n[test] ${name}`);
      await runBefore();
      if (beforeError !== undefined) throw new Error(`not run: the before() hook failed: ${beforeError}`);
      let failure: unknown;
      try {
        for (const hook of beforeEach) await hook();
        await fn();
      } catch (error) {
        failure = error;
      }
      for (const hook of afterEach) {
        try {
          await hook();
        } catch (error) {
          console.log(`after.each() hook failed after "${name}":\n${describe(error)}`);
          failure ??= new Error(`the after.each() hook failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (failure !== undefined) throw failure;
    });
  }) as GatedTest;

  const before = Object.assign((fn: Hook) => void beforeAll.push(fn), { each: (fn: Hook) => void beforeEach.push(fn) });
  const after = Object.assign((fn: Hook) => void afterAll.push(fn), { each: (fn: Hook) => void afterEach.push(fn) });
  Object.assign(test, {
    before,
    after,
    run: () => {
      uvuTest.after(async () => {
        for (const hook of afterAll) {
          try {
            await hook();
          } catch (error) {
            // uvu would turn this into an unhandled rejection that hides the summary: report and fail the file.
            console.log(`after() hook failed:\n${describe(error)}`);
            process.exitCode = 1;
          }
        }
      });
      uvuTest.run();
    },
  });
  return test;
}

/**
 * Skips one part of a test that otherwise ran (e.g. an optional controller missing): printed and counted as a
 * skip by test/run.js, a failure under NSBOX_TEST_NO_SKIP=1. Returns so callers can `return skipPart(...)`.
 */
export function skipPart(what: string, reason: string): void {
  if (noSkip) throw new Error(`${what} skipped (${reason}), but NSBOX_TEST_NO_SKIP=1: it must run here`);
  console.log(`${PART_MARKER} ${what}: ${reason}`);
}

/** Polls `check` every 50 ms until it holds; fails with `what` after `withinMs`. */
export async function eventually(check: () => boolean, what: string, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(what);
    await new Promise((r) => setTimeout(r, 50));
  }
}
