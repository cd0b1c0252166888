// Line icons (24×24, stroke = currentColor), drawn for these controls. Elements are closed explicitly: the
// template minifier reads these as HTML, where `<rect/>` does not close.
import { html, svg, type SVGTemplateResult, type TemplateResult } from 'lit';

// Typed through lit's own export: the inferred type would name lit-html, which apps do not depend on.
const icon = (body: SVGTemplateResult): TemplateResult =>
  html`<svg
    viewBox="0 0 24 24"
    width="24"
    height="24"
    aria-hidden="true"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
    stroke-linecap="round"
    stroke-linejoin="round"
  >
    ${body}
  </svg>`;

const micBody = svg`<rect x="9" y="3" width="6" height="11" rx="3"></rect><path d="M5 11a7 7 0 0 0 14 0M12 18v3"></path>`;
const camBody = svg`<rect x="3" y="6" width="12" height="12" rx="2"></rect><path d="m15 10 6-3v10l-6-3"></path>`;
const slash = svg`<path d="M3 3l18 18"></path>`;

export const icons = {
  mic: icon(micBody),
  micOff: icon(svg`${micBody}${slash}`),
  cam: icon(camBody),
  camOff: icon(svg`${camBody}${slash}`),
  screen: icon(
    svg`<rect x="3" y="4" width="18" height="13" rx="2"></rect><path d="M8 21h8M12 17v4M9 10l3-3 3 3M12 7v6"></path>`,
  ),
  gear: icon(
    svg`<path d="M4 7h9M17 7h3M4 17h3M11 17h9"></path><circle cx="15" cy="7" r="2"></circle><circle cx="9" cy="17" r="2"></circle>`,
  ),
  leave: icon(
    svg`<path d="M4.5 14.5c-1-1-1-2.6 0-3.4C9 7.5 15 7.5 19.5 11.1c1 .8 1 2.4 0 3.4l-1.6 1.2-3.2-1.8v-2.6a9 9 0 0 0-5.4 0v2.6l-3.2 1.8z"></path>`,
  ),
  record: icon(svg`<circle cx="12" cy="12" r="8"></circle><circle cx="12" cy="12" r="3"></circle>`),
  signal: icon(svg`<path d="M5 20v-3M10 20v-7M15 20v-11M20 20V4"></path>`),
  sound: icon(svg`<path d="M11 5 6 9H3v6h3l5 4zM15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14"></path>`),
};
