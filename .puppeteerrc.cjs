// whatsapp-web.js pulls puppeteer, whose install would download Chrome (impossible here).
// The bot uses Debian's Chromium instead (CHROMIUM_PATH, default /usr/bin/chromium).
module.exports = { skipDownload: true };
