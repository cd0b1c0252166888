import puppeteer from 'puppeteer-core';
import { serve, launchBrowser, openPage, APP_ID, videoFrames } from '/work/wt-19/test/e2e/harness.ts';
const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
const t0 = Date.now();
const ff = await puppeteer.launch({
  browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true,
  extraPrefsFirefox: {
    'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true,
    'media.autoplay.default': 0, 'media.peerconnection.ice.obfuscate_host_addresses': false,
  },
});
console.log('ff launched', Date.now() - t0);
const fp = await ff.newPage();
fp.on('console', (m) => console.log('[ff]', m.text()));
fp.on('pageerror', (e) => console.log('[ff err]', e.message));
await fp.goto(`${server.url}/test-pages/call.html`);
const uidF = await fp.evaluate((appId) => (window as any).T.join(appId, 'mix', 0), APP_ID);
console.log('ff joined', uidF);
const cr = await launchBrowser();
const cp = await openPage(cr, `${server.url}/test-pages/call.html`);
const uidC = await cp.evaluate((appId) => (window as any).T.join(appId, 'mix', 0), APP_ID);
const v = await videoFrames(cp as any, `#remote-${uidF} video`);
console.log('chromium sees firefox', v);
const v2 = await fp.evaluate(async (sel) => { const d=Date.now()+15000; let el:any; while(Date.now()<d){ el=document.querySelector(sel); if(el&&el.videoWidth>0) break; await new Promise(r=>setTimeout(r,100)); } if(!el) return null; const t=el.currentTime; await new Promise(r=>setTimeout(r,1500)); return {w:el.videoWidth, adv: el.currentTime>t}; }, `#remote-${uidC} video`);
console.log('firefox sees chromium', v2);
await ff.close(); await cr.close(); await server.close();
