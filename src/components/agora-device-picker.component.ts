import { html, nothing, type TemplateResult } from 'lit';
import type { Client, Stream } from '../index.js';
import { LocalizedElement } from './localized.js';
import { styles } from './agora-device-picker.styles.js';
import { theme } from './theme.styles.js';

type Kind = 'videoinput' | 'audioinput' | 'audiooutput';
type Device = Awaited<ReturnType<Client['getDevices']>>[number];

/** Detail of `agora-device-change`. */
export interface DeviceChangeDetail {
  kind: Kind;
  deviceId: string;
  label: string;
}

/** What the user picked, per kind, shared by every picker on the page (the SDK's choice is page-wide too). */
const picked: Partial<Record<Kind, string>> = {};

/**
 * Camera, microphone and speaker choice, applied with `client.selectDevice` (so a running stream switches in
 * place and later streams use it). With `preview`, shows the stream's picture; with a stream, a microphone level.
 *
 * @example
 * html`<agora-device-picker .client=${client} .stream=${localStream} preview></agora-device-picker>`
 *
 * @attribute lang - `zh` for Chinese labels, `en` for English; default: the browser's language.
 * @fires agora-device-change - The user picked a device and the SDK switched to it. Detail: `{ kind, deviceId, label }`.
 * @fires agora-error - Switching failed (device gone or busy). Detail: `{ code, name, message }`.
 * @csspart select - Each of the three selects.
 * @csspart level - The microphone level bar.
 */
export class AgoraDevicePickerElement extends LocalizedElement {
  static override styles = [theme, styles];

  static override properties = {
    client: { attribute: false },
    stream: { attribute: false },
    preview: { type: Boolean },
    noCamera: { type: Boolean, attribute: 'no-camera' },
    noMicrophone: { type: Boolean, attribute: 'no-microphone' },
    devices: { state: true, attribute: false },
    level: { state: true, attribute: false },
  };

  /** The client whose devices are listed and switched. */
  client: Client | null = null;
  /** The local stream: its microphone level is shown, and its picture with `preview`. */
  stream: Stream | null = null;
  /** Show the camera picture above the choices. */
  preview = false;
  /** Hide the camera choice. */
  noCamera = false;
  /** Hide the microphone choice. */
  noMicrophone = false;

  private devices: Device[] = [];
  private level = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly onDevices = (e: { devices: Device[] }) => (this.devices = e.devices);
  private listening: Client | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => (this.level = this.stream?.getAudioLevel() ?? 0), 100);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.listening?.off('device-changed', this.onDevices);
    this.listening = null;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('client') && this.client !== this.listening) {
      this.listening?.off('device-changed', this.onDevices);
      this.listening = this.client;
      this.client?.on('device-changed', this.onDevices);
    }
    // Names appear once the user allowed access, i.e. after the stream started.
    if (changed.has('client') || changed.has('stream')) void this.refresh();
  }

  /** Read the device list again. */
  async refresh(): Promise<void> {
    this.devices = (await this.client?.getDevices().catch(() => [])) ?? [];
  }

  protected override render(): TemplateResult {
    const t = this.t;
    const canSpeaker = 'setSinkId' in HTMLMediaElement.prototype;
    return html`
      ${
        this.preview && this.stream
          ? html`<agora-video .stream=${this.stream} mirror></agora-video>`
          : nothing
      }
      ${this.noCamera ? nothing : this.select('videoinput', t.camera)}
      ${
        this.noMicrophone
          ? nothing
          : html`${this.select('audioinput', t.microphone)}
              <div class="level" part="level" aria-hidden="true">
                <div style="transform: scaleX(${Math.min(1, this.level * 4).toFixed(3)})"></div>
              </div>`
      }
      ${canSpeaker ? this.select('audiooutput', t.speaker) : nothing}
    `;
  }

  private select(kind: Kind, label: string) {
    const list = this.devices.filter((d) => d.kind === kind && d.deviceId);
    if (list.length === 0) return nothing;
    const current = picked[kind] ?? list[0]!.deviceId;
    return html`<label
      >${label}
      <select part="select" data-kind=${kind} @change=${(e: Event) => this.pick(kind, e)}>
        ${list.map(
          (d, i) =>
            html`<option value=${d.deviceId} ?selected=${d.deviceId === current}>
              ${d.label || `${label} ${i + 1}`}
            </option>`,
        )}
      </select></label
    >`;
  }

  private async pick(kind: Kind, e: Event): Promise<void> {
    const select = e.target as HTMLSelectElement;
    const device = this.devices.find((d) => d.kind === kind && d.deviceId === select.value);
    if (!device || !this.client) return;
    const before = picked[kind];
    try {
      await this.client.selectDevice(device);
      picked[kind] = device.deviceId;
      this.dispatchEvent(
        new CustomEvent<DeviceChangeDetail>('agora-device-change', {
          detail: { kind, deviceId: device.deviceId, label: device.label },
          bubbles: true,
          composed: true,
        }),
      );
    } catch (err) {
      const { code, name, message } = err as { code: number; name: string; message: string };
      select.value = before ?? '';
      this.dispatchEvent(
        new CustomEvent('agora-error', { detail: { code, name, message }, bubbles: true, composed: true }),
      );
    }
  }
}
