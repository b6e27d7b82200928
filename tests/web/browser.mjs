// browser — Debian's headless Chromium (never a downloaded browser) through
// playwright-core, for the browser tests: one persistent profile per test
// file, script errors collected, screenshots into SV_WEB_SHOTS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { pageRegister } from './helpers.mjs';

export const SHOTS = process.env.SV_WEB_SHOTS || path.join(os.tmpdir(), 'smsvault-shots');
export const WORK = process.env.SV_WEB_WORK || os.tmpdir();

// { ctx, page, errors, close }; options: viewport, locale, timezoneId, isMobile, hasTouch.
export async function launch({ viewport = { width: 1280, height: 860 }, locale = 'en-US', timezoneId, isMobile,
  hasTouch } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smsvault-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport,
    locale,
    timezoneId,
    isMobile,
    hasTouch,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', `--lang=${locale}`],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  return {
    ctx, page, errors,
    async close() {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Register a new account through the page's form and wait for the home view.
export async function registerOnPage(page, base, user, password = 'password123') {
  await page.goto(base + '/');
  await pageRegister(page, user, password);
}

// Upload a file through the Upload dialog; resolves to the dialog's message.
export async function importOnPage(page, name, content) {
  const file = path.join(WORK, name);
  fs.writeFileSync(file, content);
  await page.click('#btn-upload');
  await page.setInputFiles('#up-file', file);
  await page.waitForFunction(() => document.getElementById('up-msg').dataset.done === '1');
  const msg = await page.textContent('#up-msg');
  await page.click('#up-close');
  return msg;
}
