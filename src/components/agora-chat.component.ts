import { LitElement, css, html } from 'lit';
import type { Client, MessageEvent } from '../index.js';
import { theme } from './theme.styles.js';

/** Detail of `agora-chat-message`: a message arrived (history included). */
export interface ChatMessageDetail {
  message: MessageEvent;
  /** Sent by this client. */
  own: boolean;
}

/**
 * The channel's text chat for a joined Client: the messages with sender and time, and a box to write one.
 * Messages are shown as text: markup in them is never interpreted.
 *
 * @example
 * html`<agora-chat .client=${client}></agora-chat>`
 *
 * @fires agora-chat-message - A message arrived (the history after join too). Detail: `{ message, own }`.
 * @csspart list - The message list.
 * @csspart form - The input row.
 */
export class AgoraChatElement extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--_surface);
        border-radius: var(--_radius);
      }
      ol {
        flex: 1;
        overflow-y: auto;
        margin: 0;
        padding: 8px;
        list-style: none;
      }
      li {
        margin: 0 0 8px;
        overflow-wrap: anywhere;
        white-space: pre-wrap;
      }
      .meta {
        color: var(--_text-2);
        font-size: 0.8em;
      }
      form {
        display: flex;
        gap: 6px;
        padding: 8px;
      }
      input {
        flex: 1;
        min-width: 0;
        font: inherit;
        padding: 6px 8px;
        border-radius: 8px;
        border: 1px solid var(--_surface-2);
        background: var(--_bg);
        color: var(--_text);
      }
      button {
        font: inherit;
        border: 0;
        border-radius: 8px;
        padding: 6px 12px;
        background: var(--_accent);
        color: var(--_accent-text);
      }
      :focus-visible {
        outline: 2px solid var(--_focus);
        outline-offset: 2px;
      }
    `,
  ];

  static override properties = {
    client: { attribute: false },
    messages: { state: true },
    error: { state: true },
  };

  /** The joined Client whose channel this chat shows. */
  client: Client | null = null;
  messages: MessageEvent[] = [];
  error = '';
  private bound: Client | null = null;
  private readonly onMessage = (m: MessageEvent) => {
    this.messages = [...this.messages, m].slice(-500);
    this.dispatchEvent(
      new CustomEvent<ChatMessageDetail>('agora-chat-message', {
        detail: { message: m, own: m.uid === this.client?.currentUid },
        bubbles: true,
        composed: true,
      }),
    );
    void this.updateComplete.then(() => {
      const list = this.renderRoot.querySelector('ol');
      if (list) list.scrollTop = list.scrollHeight;
    });
  };

  protected override willUpdate(): void {
    if (this.client === this.bound) return;
    this.bound?.off('message', this.onMessage);
    this.bound = this.client;
    this.messages = this.client?.getMessages() ?? [];
    this.client?.on('message', this.onMessage);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.bound?.off('message', this.onMessage);
    this.bound = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.requestUpdate();
  }

  private async send(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    const text = input.value;
    if (!this.client || text.trim() === '') return;
    try {
      this.error = '';
      input.value = '';
      await this.client.sendMessage(text);
    } catch (err) {
      input.value = text;
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  protected override render() {
    const time = (ts: number) => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return html`<ol part="list" aria-live="polite" aria-label="Chat messages">
        ${this.messages.map(
          (m) =>
            html`<li>
              <div class="meta"><b>${m.name || `User ${m.uid}`}</b> · <time>${time(m.ts)}</time></div>
              <div class="text">${m.text}</div>
            </li>`,
        )}
      </ol>
      ${this.error ? html`<div role="alert" class="meta">${this.error}</div>` : ''}
      <form part="form" @submit=${this.send}>
        <input aria-label="Message" maxlength="2000" autocomplete="off" />
        <button type="submit">Send</button>
      </form>`;
  }
}
