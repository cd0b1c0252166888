import { css } from 'lit';

export const styles = css`
  :host {
    display: grid;
    gap: 12px;
  }
  agora-video {
    aspect-ratio: 16 / 9;
    border-radius: var(--_radius);
  }
  label {
    display: grid;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--_text-2);
  }
  select {
    min-height: 44px;
    padding: 0 12px;
    border-radius: calc(var(--_radius) * 0.67);
    border: 1px solid var(--_surface-2);
    background: var(--_surface);
    color: var(--_text);
    font-size: 0.95rem;
  }
  .level {
    height: 6px;
    border-radius: 3px;
    background: var(--_surface-2);
    overflow: hidden;
  }
  .level > div {
    height: 100%;
    background: var(--_speaking);
    transform-origin: left;
    transition: transform 80ms linear;
  }
`;
