import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { startLocalStack, type LocalStack } from '../../src/stack';
import { parse } from 'yaml';
import { KUSTOMIZATION } from '../k8s/manifests';
import { ingressBackend, type IngressSpec } from '../k8s/policy';

/**
 * The Kubernetes way of serving the page: one origin for the browser, an
 * Ingress sending greetings' public routes to greetings and everything else
 * to the page (deploy/kubernetes/ingress.yaml). Here a small reverse proxy
 * routes by the rendered Ingress' own rules, in front of the real services,
 * configured only by environment as the manifests configure them: the page's
 * GREETINGS_PUBLIC_URL and greetings' AWESOME_APP_URL are both the one public
 * origin. Chromium enforces the page's CSP (form-action) for real.
 */
// Read from the manifest itself (no kubectl needed here: kustomize changes nothing in its rules).
const ingress = parse(readFileSync(join(KUSTOMIZATION, 'ingress.yaml'), 'utf8')) as {
  spec: IngressSpec;
};
const rule = ingress.spec.rules[0];

let stack: LocalStack;
let proxy: Server;
let publicUrl: string;
let browser: Browser;
let page: Page;
const routed: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  // *.localhost is this machine for Chromium (and for the laptop clusters' Ingress host).
  publicUrl = `http://calculator.localhost:${port}`;
  stack = await startLocalStack({
    env: { GREETINGS_PUBLIC_URL: publicUrl, AWESOME_APP_URL: publicUrl, EPSILON: '0' },
  });
  proxy = createServer((req, res) => {
    const path = new URL(req.url ?? '/', publicUrl).pathname;
    const backend = ingressBackend(rule, path)?.name as 'greetings' | 'awesome-app' | undefined;
    if (!backend) {
      res.writeHead(404).end('no Ingress rule');
      return;
    }
    routed.push(`${req.method} ${path} -> ${backend}`);
    const target = new URL(stack.urls[backend]);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.listen(port, '127.0.0.1');
  await once(proxy, 'listening');
  browser = await launchBrowser();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  proxy?.close();
  await stack?.stop();
});

describe('one origin for the page and the Like, as behind the Kubernetes Ingress', () => {
  it('when Like is clicked on the page, then it posts to the same origin, counts, and lands back on the page', async () => {
    const response = await page.goto(`${publicUrl}/Bob/1/1`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(new RegExp(`form-action 'self' ${publicUrl.replace(/[.]/g, '\\.')}(;|$)`));
    const action = await page.$eval('form.like', (form) => form.action);
    expect(action).toBe(`${publicUrl}/like_greeting`);
    const before = (await (await fetch(`${stack.urls.greetings}/stats`)).json()) as {
      variants: { liked: number }[];
    };

    await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);

    const url = new URL(page.url());
    expect(url.origin).toBe(publicUrl);
    expect(url.pathname).toBe('/Bob/1/1');
    expect(url.searchParams.get('like')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await page.$eval('#like-notice', (el) => el.textContent)).toMatch(
      /Thank you for the Like/,
    );
    const after = (await (await fetch(`${stack.urls.greetings}/stats`)).json()) as {
      variants: { liked: number }[];
    };
    const likes = (s: typeof before) => s.variants.reduce((sum, v) => sum + v.liked, 0);
    expect(likes(after)).toBe(likes(before) + 1);
    expect(routed).toEqual(
      expect.arrayContaining(['GET /Bob/1/1 -> awesome-app', 'POST /like_greeting -> greetings']),
    );
  });

  it("when greetings' public pages are asked for on the public origin, then greetings answers them", async () => {
    const response = await page.goto(`${publicUrl}/stats`);
    expect(response?.status()).toBe(200);
    expect(await response?.json()).toHaveProperty('variants');
    expect(routed).toContain('GET /stats -> greetings');
  });
});
