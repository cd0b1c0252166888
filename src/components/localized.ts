import { LitElement } from 'lit';
import { strings, stringsReady, type Strings } from './i18n.js';

/**
 * Base of the elements that show words: `lang` (zh/en; default the browser's language) picks them, a change
 * relabels at once, and an update waits for the Chinese strings to arrive rather than flash English.
 */
export class LocalizedElement extends LitElement {
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang') this.requestUpdate();
  }

  protected override scheduleUpdate(): void | Promise<unknown> {
    const ready = stringsReady(this.getAttribute('lang'));
    return ready ? ready.then(() => super.scheduleUpdate()) : super.scheduleUpdate();
  }

  /** The words in this element's language. */
  protected get t(): Strings {
    return strings(this.getAttribute('lang'));
  }
}
