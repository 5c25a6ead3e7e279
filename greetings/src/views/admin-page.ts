import { createHash } from 'node:crypto';
import {
  experimentChartSvg,
  html,
  percent,
  SafeHtml,
  thresholdPercent,
} from '@friendly-calculator/common';
import { POLICY_NAMES } from '../bandit/policy';
import type { AuditEntry } from '../experiment/phase';
import type { PhaseView } from '../experiment/view';

export type Notice = { kind: 'thanks' | 'sorry'; message: string };

export interface AdminPageData {
  /** Every phase, newest first; undefined when the store could not be read. */
  experiments: PhaseView[] | undefined;
  /** Shown only to a signed-in presenter. */
  audit: AuditEntry[] | undefined;
  notice: Notice | undefined;
}

// The page's only style: inline, allowed by its hash, so the CSP stays strict (no script at all).
const STYLE = `
:root{--ink:#1f2433;--muted:#5b6275;--line:#e2e4f0;--accent:#4f46e5;--accent-soft:#c7d2fe;--like:#e11d48;--like-dark:#be123c;--good:#e7f6ec;--good-ink:#17603a;--warn:#fff4e0;--warn-ink:#7a4b00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f3f4fb}
header{padding:14px 20px;background:#fff;border-bottom:1px solid var(--line);font-weight:600}
main{max-width:900px;margin:0 auto;padding:16px}
section{background:#fff;border:1px solid var(--line);border-radius:16px;padding:16px 20px;margin:0 0 16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.15rem;margin:.2em 0 .6em}
.notice{padding:10px 14px;border-radius:10px;margin:0 0 16px}
.notice-thanks{background:var(--good);color:var(--good-ink)}.notice-sorry{background:var(--warn);color:var(--warn-ink)}
.muted{color:var(--muted)}.state{display:inline-block;padding:0 10px;border-radius:999px;background:var(--accent-soft);font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
fieldset{border:1px solid var(--line);border-radius:12px;margin:0 0 12px;padding:10px 14px}
label{display:inline-block;margin:4px 12px 4px 0}input,select{font:inherit;padding:4px 8px;border:1px solid #c9cce0;border-radius:8px}
input[type=password]{width:18em}.rows input{margin:2px 0}
button{font:inherit;padding:6px 14px;margin:4px 6px 4px 0;border:0;border-radius:999px;background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#e8e9f5;color:var(--ink)}
.chart{width:100%;max-width:560px;height:auto;display:block;margin:8px 0}
.chart text{font-size:11px;fill:var(--ink)}.chart .legend,.chart .count,.chart .tick{fill:var(--muted)}
.chart .variant{font-weight:600}.chart .best{fill:var(--like-dark);font-weight:700}
.chart .pbest{font-weight:600}.chart .grid{stroke:var(--line)}
.chart .interval{fill:var(--accent-soft)}.chart .estimate{fill:var(--like)}
`;

// Built outside the page's template, so formatting can never change the hashed text.
export const STYLE_ELEMENT = new SafeHtml(`<style>${STYLE}</style>`);

export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '–');

function verdict(p: PhaseView): string {
  if (p.state === 'shipped')
    return `Shipped “${p.shipped}”: everyone sees it; the counts are frozen.`;
  if (p.best) return `Best: “${p.best}” (P(best) at least ${thresholdPercent(p.bestThreshold)}).`;
  return `Still learning: a variant is called best once every variant has been shown ${p.minShownForBest} times and the leader’s P(best) reaches ${thresholdPercent(p.bestThreshold)}.`;
}

const policyText = (p: PhaseView) =>
  p.policy === 'thompson' ? 'Thompson sampling' : `epsilon-greedy, ε = ${p.epsilon}`;

function phaseTable(p: PhaseView): SafeHtml {
  return html`<table>
    <thead>
      <tr>
        <th>variant</th>
        <th>text</th>
        <th>shown</th>
        <th>liked</th>
        <th>like rate</th>
        <th>95% interval</th>
        <th>P(best)</th>
      </tr>
    </thead>
    <tbody>
      ${p.variants.map(
        (v) =>
          html`<tr>
            <td>${v.name}</td>
            <td>${v.template}</td>
            <td class="n">${v.shown}</td>
            <td class="n">${v.liked}</td>
            <td class="n">${v.shown ? percent(v.likeRate) : '–'}</td>
            <td class="n">${percent(v.interval[0])}–${percent(v.interval[1])}</td>
            <td class="n">${percent(v.pBest)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function adminPage({ experiments, audit, notice }: AdminPageData): SafeHtml {
  const current = experiments?.[0];
  const earlier = experiments?.slice(1) ?? [];
  const blankRows = current ? Math.max(3, current.variants.length + 1) : 3;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Experiment admin · greetings</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <header>greetings · experiment admin</header>
        <main>
          ${notice ? html`<p id="admin-notice" class="notice notice-${notice.kind}" role="status">${notice.message}</p>` : ''}
          ${
            current
              ? html`<section aria-labelledby="current-title">
                  <h1 id="current-title">
                    Phase ${current.phase}
                    <span id="phase-state" class="state">${current.state}</span>
                  </h1>
                  <p class="muted">${policyText(current)} · started ${when(current.startedAt)}</p>
                  ${experimentChartSvg(current)}
                  <p id="verdict">${verdict(current)}</p>
                  ${phaseTable(current)}
                </section>`
              : ''
          }
          <form method="post" action="/admin">
            <section aria-labelledby="act-title">
              <h2 id="act-title">Act on the experiment</h2>
              <p>
                <label
                  >Your name, for the audit log
                  <input name="actor" id="actor" maxlength="64" placeholder="e.g. Ada"
                /></label>
              </p>
              ${
                current
                  ? html`<fieldset>
                      <legend>Phase ${current.phase}</legend>
                      <button
                        type="submit"
                        id="pause"
                        formaction="/admin/experiments/current/pause"
                        formnovalidate
                      >
                        Pause
                      </button>
                      <button
                        type="submit"
                        id="resume"
                        formaction="/admin/experiments/current/resume"
                        formnovalidate
                      >
                        Resume
                      </button>
                      <label
                        >Ship
                        <select name="variant" id="ship-variant">
                          ${current.variants.map((v) => html`<option value="${v.name}">${v.name}</option>`)}
                        </select></label
                      >
                      <button
                        type="submit"
                        id="ship"
                        formaction="/admin/experiments/current/ship"
                        formnovalidate
                      >
                        Ship it
                      </button>
                    </fieldset>`
                  : ''
              }
              <fieldset class="rows">
                <legend>
                  Start a new phase (counts start at zero; this one keeps its numbers)
                </legend>
                ${Array.from({ length: blankRows }, (_, i) => {
                  const v = current?.variants[i];
                  return html`<div>
                    <label
                      >Variant ${i + 1} name
                      <input
                        name="name${i + 1}"
                        value="${v?.name ?? ''}"
                        size="12"
                        maxlength="32"
                        pattern="[a-z][a-z0-9_-]{0,31}"
                    /></label>
                    <label
                      >text
                      <input
                        name="template${i + 1}"
                        value="${v?.template ?? ''}"
                        size="28"
                        maxlength="80"
                        placeholder="Hello {name}"
                    /></label>
                  </div>`;
                })}
                <label
                  >Policy
                  <select name="policy">
                    ${POLICY_NAMES.map((p) => html`<option value="${p}" ${p === current?.policy ? new SafeHtml(' selected') : ''}>${p}</option>`)}
                  </select></label
                >
                <label
                  >ε
                  <input
                    name="epsilon"
                    value="${current?.epsilon ?? 0.1}"
                    size="4"
                    inputmode="decimal"
                /></label>
                <button type="submit" id="start" formaction="/admin/experiments" formnovalidate>
                  Start phase ${(current?.phase ?? 0) + 1}
                </button>
              </fieldset>
              <button
                type="submit"
                class="secondary"
                id="show-audit"
                formaction="/admin"
                formnovalidate
              >
                Show the audit log
              </button>
              <button
                type="submit"
                class="secondary"
                id="sign-out"
                formaction="/admin/sign-out"
                formnovalidate
              >
                Sign out
              </button>
            </section>
          </form>
          ${
            earlier.length > 0
              ? html`<section aria-labelledby="history-title">
                  <h2 id="history-title">Earlier phases (final numbers)</h2>
                  ${earlier.map(
                    (p) =>
                      html`<h3>
                          Phase ${p.phase}:
                          ${p.shipped ? `shipped “${p.shipped}”` : `ended (${p.state} until then)`}
                        </h3>
                        <p class="muted">
                          ${policyText(p)} · ${when(p.startedAt)} to ${when(p.endedAt)} ·
                          ${verdict(p)}
                        </p>
                        ${phaseTable(p)}`,
                  )}
                </section>`
              : ''
          }
          ${
            audit
              ? html`<section aria-labelledby="audit-title">
                  <h2 id="audit-title">Audit log (newest first)</h2>
                  <table id="audit">
                    <thead>
                      <tr>
                        <th>when</th>
                        <th>action</th>
                        <th>who</th>
                        <th>before</th>
                        <th>after</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${audit.map(
                        (e) =>
                          html`<tr>
                            <td>${when(e.at)}</td>
                            <td>${e.action}</td>
                            <td>${e.actor}</td>
                            <td>${e.before ? `phase ${e.before.phase} ${e.before.state}` : '–'}</td>
                            <td>
                              phase ${e.after.phase}
                              ${e.after.state}${e.after.shipped ? ` (${e.after.shipped})` : ''}
                            </td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </section>`
              : ''
          }
          <p class="muted">
            JSON: <a href="/experiments">/experiments</a>,
            <a href="/experiments/current">/experiments/current</a>. The API takes the same actions
            with <code>Authorization: Bearer &lt;token&gt;</code>.
          </p>
        </main>
      </body>
    </html> `;
}
