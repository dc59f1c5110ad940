/**
 * Named moments of a page load (`performance.mark('gridshift:<name>')`), read by `npm run bench:console` to
 * say where a first load's time went. Marks cost microseconds and are kept by the browser, nowhere else.
 */
export function mark(name: string): void {
  performance.mark(`gridshift:${name}`);
}
