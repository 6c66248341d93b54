// What a failed tool said, in one line: its real error, without the advice lines tools add after it.

/** Lines that only point elsewhere (util-linux mount adds this after every failed mount(2)). */
const ADVICE = [/dmesg\(1\) may have more information/i, /^see .*--help/i];

/** The tool's error lines (stderr), advice dropped, joined into one line; '' when it said nothing useful. */
export function toolMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !ADVICE.some((re) => re.test(line)))
    .join(' ');
}
