import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    overflow: hidden;
    background: #000;
  }
  div,
  video {
    width: 100%;
    height: 100%;
  }
  /* The SDK's player sets object-fit inline; the element's fit attribute wins. */
  video {
    display: block;
    object-fit: cover !important;
    background: transparent !important;
  }
  :host([fit='contain']) video {
    object-fit: contain !important;
  }
  :host([mirror]) video {
    transform: scaleX(-1);
  }
`;
