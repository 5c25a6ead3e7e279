import puppeteer, { type Browser, type LaunchOptions } from 'puppeteer';

/**
 * Headless Chromium for the browser tests. The executable comes from the
 * repo's `.puppeteerrc.cjs`: Debian's /usr/bin/chromium where it exists (our
 * CI machines cannot download a browser), puppeteer's own Chrome elsewhere.
 */
export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const args = [
    '--disable-gpu',
    // Without these, Chromium phones home at start-up; on a closed network
    // that is a burst of refused connections and slow starts.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
  ];
  // Chromium's sandbox cannot run as root (CI machines, containers).
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return puppeteer.launch({ headless: true, args, ...options });
}
