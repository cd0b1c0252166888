// Colours, radius and font as CSS custom properties a page can override on the element (or any ancestor):
// dark by default, light under prefers-color-scheme: light.
import { css } from 'lit';

export const theme = css`
  :host {
    --_bg: var(--agora-background, #0f1115);
    --_surface: var(--agora-surface, #1c1f26);
    --_surface-2: var(--agora-surface-raised, #2a2e38);
    --_text: var(--agora-text, #f3f4f6);
    --_text-2: var(--agora-text-muted, #a8afbd);
    --_accent: var(--agora-accent, #2563eb);
    --_accent-text: var(--agora-accent-text, #ffffff);
    --_danger: var(--agora-danger, #dc2626);
    --_speaking: var(--agora-speaking, #22c55e);
    --_radius: var(--agora-radius, 12px);
    --_font: var(
      --agora-font,
      system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      'PingFang SC',
      'Microsoft YaHei',
      sans-serif
    );
    --_focus: var(--agora-focus, #93c5fd);
    font-family: var(--_font);
    color: var(--_text);
  }
  @media (prefers-color-scheme: light) {
    :host {
      --_bg: var(--agora-background, #eef0f4);
      --_surface: var(--agora-surface, #ffffff);
      --_surface-2: var(--agora-surface-raised, #e3e6ec);
      --_text: var(--agora-text, #14171d);
      --_text-2: var(--agora-text-muted, #545c6b);
      --_focus: var(--agora-focus, #1d4ed8);
    }
  }
  button,
  select,
  input {
    font: inherit;
    color: inherit;
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .sr {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  @media (prefers-reduced-motion: reduce) {
    *,
    ::before,
    ::after {
      transition: none !important;
      animation: none !important;
    }
  }
`;
