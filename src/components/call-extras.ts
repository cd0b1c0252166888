// The views of <agora-call> that only some calls show, in a module of their own (agora-components-extras.js) that
// the element imports the first time it shows one of them: the statistics panel (opened from the bar), the
// recording mark (while someone records) and the page for a browser that cannot make calls. Each view brings its
// own <style>: the rules apply to the element's whole shadow root once the view is in it.
import { html } from 'lit';
import type { AgentError, CallStats, RecordingState } from '../index.js';
import { fill, type Strings } from './i18n.js';

/** The statistics panel: what we send, and what each remote user's media looks like here. */
export function statsPanel(t: Strings, s: CallStats, nameOf: (uid: number) => string) {
  const res = (w: number, h: number) => (w ? `${w}×${h}` : '—');
  const rows = [
    [
      t.you,
      s.local.sendBitrateKbps,
      s.local.sendFrameRateFps,
      res(s.local.sendWidthPx, s.local.sendHeightPx),
      s.local.packetLossPercent,
      s.local.rttMs,
    ],
    ...s.remotes.map((r) => [
      nameOf(r.uid),
      r.recvBitrateKbps,
      r.recvFrameRateFps,
      res(r.recvWidthPx, r.recvHeightPx),
      r.packetLossPercent,
      r.rttMs,
    ]),
  ];
  return html`<style>
      .stats {
        position: absolute;
        z-index: 6;
        bottom: calc(100% + 10px);
        left: 50%;
        transform: translateX(-50%);
        box-sizing: border-box;
        width: max-content;
        max-width: calc(100vw - 24px);
        overflow-x: auto;
        padding: 10px 12px;
        border-radius: var(--_radius);
        background: var(--_surface);
        box-shadow: 0 10px 40px rgb(0 0 0 / 0.4);
        font-size: 0.8rem;
        font-variant-numeric: tabular-nums;
      }
      .stats th,
      .stats td {
        padding: 2px 8px;
        text-align: right;
        white-space: nowrap;
      }
      .stats th[scope='row'] {
        text-align: left;
        max-width: 10em;
        overflow: hidden;
        text-overflow: ellipsis;
      }
    </style>
    <div class="stats" part="stats" role="region" aria-label=${t.stats} tabindex="0">
      <table>
        <thead>
          <tr>
            ${t.statsColumns.split('|').map((c) => html`<th scope="col">${c}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            ([who, ...cells]) =>
              html`<tr>
                <th scope="row">${who}</th>
                ${cells.map((c) => html`<td>${c}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

/** Everyone sees that the call is recorded, and for how long. */
export function recordingMark(t: Strings, r: RecordingState) {
  const s = Math.max(0, Math.floor((Date.now() - (r.startedAt ?? Date.now())) / 1000));
  const time = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return html`<style>
      .rec {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        margin-left: auto;
        padding: 2px 10px;
        border-radius: 999px;
        background: #b3261e;
        color: #fff;
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      .rec .dot {
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: currentColor;
      }
    </style>
    <span class="rec" part="recording" role="status" data-mark="recording"
      ><span class="dot" aria-hidden="true"></span>${fill(t.recordingMark, { time })}</span
    >`;
}

/** Instead of a call UI that cannot work: why, and the SDK's page on what to do. */
export function unsupportedView(t: Strings, e: AgentError) {
  return html`<main class="prejoin" part="prejoin">
    <section class="card narrow" role="alert" data-view="unsupported">
      <p class="left-msg">${t.ERR_NOT_SUPPORTED}</p>
      <a class="primary" part="button" href=${e.agentInstallGuideUrl} target="_blank" rel="noopener"
        >${t.unsupportedHelp}</a
      >
    </section>
  </main>`;
}
