import type { Page } from 'puppeteer';

/**
 * Layout checks the browser tests share (run in the page, measured by
 * Chromium's own layout).
 */

/**
 * How many pixels the document is wider than the viewport set on the page: 0
 * when nothing spills sideways. Measured against the viewport given to
 * puppeteer, not `innerWidth`, which a mobile viewport widens to fit the
 * content it spills.
 */
export async function sidewaysSpill(page: Page): Promise<number> {
  const width = await page.$eval('html', (el) => el.scrollWidth);
  const viewport = page.viewport();
  if (!viewport) throw new Error('set a viewport first');
  return Math.max(0, width - viewport.width);
}

/** The left edge of the first element `selector` matches, in CSS pixels. */
export function leftEdge(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (el) => el.getBoundingClientRect().left);
}

/** The width of `selector`'s first match and of its `container`'s content box (inside the padding). */
export function widthInside(
  page: Page,
  selector: string,
  container: string,
): Promise<{ width: number; content: number }> {
  return page.$eval(
    selector,
    (el, container) => {
      const box = el.closest(container);
      if (!box) throw new Error(`no ${container} around the element`);
      const style = getComputedStyle(box);
      const content =
        box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { width: el.getBoundingClientRect().width, content };
    },
    container,
  );
}
