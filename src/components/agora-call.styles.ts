import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    height: 100%;
    min-height: 360px;
    overflow: hidden;
    background: var(--_bg);
    border-radius: var(--agora-host-radius, 0);
    line-height: 1.4;
  }
  [hidden] {
    display: none !important;
  }

  /* ---- buttons ---- */
  button {
    cursor: pointer;
    border: 0;
  }
  button:disabled {
    cursor: default;
    opacity: 0.5;
  }
  .primary,
  .secondary {
    min-height: 48px;
    padding: 0 20px;
    border-radius: calc(var(--_radius) * 0.75);
    font-weight: 600;
    font-size: 1rem;
  }
  .primary {
    background: var(--_accent);
    color: var(--_accent-text);
  }
  .primary:hover:not(:disabled) {
    filter: brightness(1.1);
  }
  .secondary {
    background: var(--_surface-2);
  }
  .control {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 8px;
    min-width: 48px;
    height: 48px;
    padding: 0 14px;
    border-radius: calc(var(--_radius) * 0.75);
    background: var(--_surface-2);
    font-size: 0.9rem;
    font-weight: 500;
    transition: background 120ms;
  }
  .control:hover:not(:disabled) {
    filter: brightness(1.15);
  }
  .control.off {
    background: color-mix(in srgb, var(--_danger) 22%, var(--_surface-2));
    color: color-mix(in srgb, var(--_danger) 55%, var(--_text));
  }
  .control.active {
    background: var(--_accent);
    color: var(--_accent-text);
  }
  .control.leave {
    background: var(--_danger);
    color: #fff;
    padding: 0 18px;
  }

  /* ---- banners ---- */
  .banners {
    position: absolute;
    z-index: 5;
    top: 12px;
    left: 50%;
    transform: translateX(-50%);
    display: grid;
    gap: 8px;
    width: min(560px, calc(100% - 24px));
  }
  .banner {
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 10px 14px;
    border-radius: calc(var(--_radius) * 0.75);
    font-size: 0.95rem;
    box-shadow: 0 6px 24px rgb(0 0 0 / 0.3);
    color: #fff;
  }
  .banner small {
    display: block;
    opacity: 0.8;
  }
  .banner > span:not(.spinner) {
    flex: 1;
  }
  .warn {
    background: #8a5a00;
  }
  .error {
    background: #a1262a;
  }
  .sound {
    background: var(--_accent);
    color: var(--_accent-text);
    justify-content: center;
    min-height: 48px;
    font-weight: 600;
  }
  .x {
    background: transparent;
    color: inherit;
    font-size: 1.5rem;
    min-width: 44px;
    min-height: 44px;
    border-radius: 8px;
  }
  .spinner {
    flex: none;
    width: 16px;
    height: 16px;
    border: 2px solid currentColor;
    border-right-color: transparent;
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }

  /* ---- pre-join ---- */
  .prejoin {
    height: 100%;
    box-sizing: border-box;
    display: grid;
    place-items: center;
    padding: 20px;
    overflow: auto;
  }
  .card {
    display: grid;
    grid-template-columns: minmax(0, 1.6fr) minmax(260px, 1fr);
    gap: 28px;
    align-items: center;
    width: min(960px, 100%);
  }
  .card.narrow {
    grid-template-columns: 1fr;
    width: min(380px, 100%);
  }
  .preview {
    position: relative;
    aspect-ratio: 16 / 9;
    border-radius: var(--_radius);
    overflow: hidden;
    background: var(--_surface);
    box-shadow: 0 10px 40px rgb(0 0 0 / 0.25);
  }
  .preview agora-video {
    position: absolute;
    inset: 0;
  }
  .placeholder {
    position: absolute;
    inset: 0;
    display: grid;
    place-content: center;
    justify-items: center;
    gap: 10px;
    padding: 16px;
    text-align: center;
    color: var(--_text-2);
  }
  .placeholder p {
    margin: 0;
  }
  .placeholder small {
    font-size: 0.8rem;
  }
  .preview-controls {
    position: absolute;
    left: 0;
    right: 0;
    bottom: 14px;
    display: flex;
    justify-content: center;
    gap: 12px;
  }
  .preview-controls .control {
    background: rgb(20 22 28 / 0.7);
    color: #fff;
    backdrop-filter: blur(8px);
  }
  .preview-controls .control.off {
    background: var(--_danger);
    color: #fff;
  }
  .preview-controls .text {
    display: none;
  }
  .side {
    display: grid;
    gap: 16px;
  }
  .side h2 {
    margin: 0;
    font-size: 1.6rem;
    font-weight: 650;
    overflow-wrap: anywhere;
  }
  .field {
    display: grid;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--_text-2);
  }
  .field input {
    min-height: 44px;
    padding: 0 12px;
    border-radius: calc(var(--_radius) * 0.67);
    border: 1px solid var(--_surface-2);
    background: var(--_surface);
    color: var(--_text);
    font-size: 1rem;
  }
  .left-msg {
    font-size: 1.2rem;
    margin: 0 0 8px;
    text-align: center;
  }
  @media (max-width: 720px) {
    .card {
      grid-template-columns: 1fr;
      gap: 18px;
    }
    .preview {
      aspect-ratio: 4 / 3;
    }
  }

  /* ---- call ---- */
  .call {
    height: 100%;
    display: grid;
    grid-template-rows: auto 1fr auto;
  }
  .call:has(.side) {
    grid-template-columns: minmax(0, 1fr) minmax(280px, 40%);
  }
  .call > :not(.stage, .side) {
    grid-column: 1 / -1;
  }
  .side {
    display: grid;
    margin: 12px 16px 12px 0;
    min-height: 0;
  }
  .badge {
    margin-left: 4px;
    padding: 0 6px;
    border-radius: 9px;
    background: var(--_danger);
    color: #fff;
    font-size: 0.75em;
  }
  .top {
    display: flex;
    align-items: baseline;
    gap: 12px;
    padding: 12px 16px 0;
    min-width: 0;
  }
  .room {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .count {
    color: var(--_text-2);
    font-size: 0.85rem;
    white-space: nowrap;
  }
  .stage {
    position: relative;
    margin: 12px 16px;
    min-height: 0;
  }
  .waiting {
    position: absolute;
    z-index: 2;
    top: 12px;
    left: 50%;
    transform: translateX(-50%);
    margin: 0;
    padding: 6px 14px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.55);
    color: #fff;
    font-size: 0.85rem;
    white-space: nowrap;
  }
  .tile {
    position: absolute;
    box-sizing: border-box;
    overflow: hidden;
    border-radius: var(--_radius);
    background: var(--_surface-2);
    /* No transition on the tile's box: animating left/top/width/height re-lays a size container every frame on
       the main thread, and a newcomer's first picture came ~40 ms later while the others' tiles moved. */
    container-type: size;
  }
  .tile::after {
    content: '';
    position: absolute;
    inset: 0;
    border-radius: inherit;
    pointer-events: none;
    transition: box-shadow 150ms;
  }
  .tile.speaking::after {
    box-shadow: inset 0 0 0 3px var(--_speaking);
  }
  .tile agora-video {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    background: #000;
  }
  .avatar {
    position: absolute;
    inset: 0;
    margin: auto;
    width: min(42cqmin, 120px);
    height: min(42cqmin, 120px);
    display: grid;
    place-items: center;
    border-radius: 50%;
    background: hsl(var(--hue, 220) 45% 42%);
    color: #fff;
    font-size: min(16cqmin, 44px);
    font-weight: 600;
  }
  .avatar.big {
    position: static;
    width: 96px;
    height: 96px;
    font-size: 36px;
    background: var(--_surface-2);
    color: var(--_text-2);
  }
  .name {
    position: absolute;
    left: 8px;
    bottom: 8px;
    max-width: calc(100% - 16px);
    display: flex;
    align-items: center;
    gap: 4px;
    padding: 3px 10px 3px 8px;
    border-radius: 8px;
    background: rgb(0 0 0 / 0.6);
    color: #fff;
    font-size: 0.85rem;
    box-sizing: border-box;
  }
  .label {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .mark {
    display: inline-flex;
    color: #ff8589;
  }
  .mark svg {
    width: 16px;
    height: 16px;
  }
  /* Network quality: green while good, amber when fair or poor, red when very poor or down. */
  .quality {
    color: #6fdc8c;
  }
  .quality.q3,
  .quality.q4 {
    color: #f1c21b;
  }
  .quality.q5,
  .quality.q6 {
    color: #ff8589;
  }
  .bar {
    display: flex;
    justify-content: center;
    flex-wrap: wrap;
    gap: 10px;
    padding: 4px 12px 16px;
  }
  .menu-wrap {
    position: relative;
  }
  .menu {
    box-sizing: border-box;
    position: absolute;
    z-index: 6;
    bottom: calc(100% + 10px);
    left: 50%;
    transform: translateX(-50%);
    width: min(340px, calc(100vw - 24px));
    padding: 16px;
    border-radius: var(--_radius);
    background: var(--_surface);
    box-shadow: 0 10px 40px rgb(0 0 0 / 0.4);
  }
  @media (max-width: 720px) {
    .bar .text {
      display: none;
    }
    /* The settings menu and the statistics panel centre on the whole bar, not on their button near an edge. */
    .menu-wrap {
      position: static;
    }
    .bar {
      position: relative;
      gap: 8px;
      padding-bottom: max(12px, env(safe-area-inset-bottom));
    }
    .stage {
      margin: 8px;
    }
    /* Too narrow for side by side: the chat or whiteboard goes below the people. */
    .call:has(.side) {
      grid-template-columns: minmax(0, 1fr);
      grid-template-rows: auto minmax(0, 1fr) minmax(0, 2fr) auto;
    }
    .call > .side {
      margin: 0 8px 8px;
    }
  }
`;
