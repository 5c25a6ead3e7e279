// Where a system Chromium exists (Debian's `chromium` package, as on our CI
// machines) puppeteer uses it and skips downloading its own browser, which
// cannot be fetched there. Anywhere else puppeteer downloads Chrome as usual.
const { existsSync } = require('node:fs');

const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
  existsSync(p),
);
const executablePath = process.env.PUPPETEER_EXECUTABLE_PATH || systemChromium;

/** @type {import('puppeteer').Configuration} */
module.exports = {
  skipDownload: Boolean(executablePath) || process.env.PUPPETEER_SKIP_DOWNLOAD === 'true',
  ...(executablePath ? { executablePath } : {}),
};
