// The page side of the SDK's service worker (sw/agora-sw.ts), with workbox-window: registration, the version
// handshake that stands in for the manual's agent version check, and the update flow (a waiting worker of this
// SDK's version takes over at once, so a retried init succeeds without a reload).
import { Workbox, messageSW } from 'workbox-window';
import { VERSION } from '../version.js';
import { GET_VERSION, type VersionReply } from './protocol.js';

/** A worker that does not answer the version question within this is not one of ours (or far too old). */
const ASK_MS = 3_000;
/** Fetching and starting the worker script; past this, init goes on without the worker. */
const REGISTER_MS = 10_000;
/** Installing a new worker precaches the SDK and the pages: a few hundred KB from the server. */
const TAKEOVER_MS = 30_000;

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The SDK version a worker reports, or null when it does not answer. */
export async function versionOf(sw: ServiceWorker): Promise<string | null> {
  try {
    const reply = (await within(messageSW(sw, { type: GET_VERSION }), ASK_MS, 'the version question')) as
      Partial<VersionReply> | undefined;
    return typeof reply?.version === 'string' ? reply.version : null;
  } catch {
    return null;
  }
}

/** Resolves once `sw` is past installing (installed, activating, activated or redundant). */
function installed(sw: ServiceWorker): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (sw.state === 'installing' || sw.state === 'parsed') return;
      sw.removeEventListener('statechange', check);
      resolve();
    };
    sw.addEventListener('statechange', check);
    check();
  });
}

/** One registration of one worker script, shared by every client of the page. */
export class WorkerAgent {
  readonly registered: Promise<ServiceWorkerRegistration>;
  /** Set after INCOMPATIBLE_WEBAGENT until the update it started is over: a retried init waits for it. */
  repairing: Promise<void> | null = null;
  private upgrading: Promise<void> | null = null;
  private readonly wb: Workbox;
  private readonly adoptions = new WeakMap<ServiceWorker, Promise<void>>();

  constructor(readonly url: string) {
    this.wb = new Workbox(url);
    // A worker that installed while another one controls the page (a new build, found by update() or by the
    // browser on navigation) would wait until every tab closes; if it is this SDK's version it takes over now.
    this.wb.addEventListener('waiting', (e) => {
      if (e.sw) void this.adopt(e.sw).catch(() => undefined);
    });
    this.registered = within(this.wb.register({ immediate: true }), REGISTER_MS, 'registration').then(
      (reg) => {
        if (!reg) throw new Error('the browser gave no registration');
        return reg;
      },
    );
  }

  /** Ask the server for a newer worker script; a waiting worker of this SDK's version then takes over. */
  upgrade(): Promise<void> {
    this.upgrading ??= within(
      (async () => {
        const reg = await this.registered;
        await this.wb.update();
        const fresh = reg.installing ?? reg.waiting;
        if (fresh) await installed(fresh);
        if (reg.waiting) await this.adopt(reg.waiting);
      })(),
      TAKEOVER_MS,
      'the service worker update',
    ).finally(() => {
      this.upgrading = null;
    });
    return this.upgrading;
  }

  /** upgrade(), after a version mismatch: the next init waits for it rather than failing at once again. */
  repair(): void {
    this.repairing ??= this.upgrade()
      .catch(() => undefined)
      .finally(() => {
        this.repairing = null;
      });
  }

  private adopt(sw: ServiceWorker): Promise<void> {
    let done = this.adoptions.get(sw);
    if (!done) {
      done = (async () => {
        // A worker of another version waits for the pages of its own version.
        if ((await versionOf(sw)) !== VERSION) return;
        const container = navigator.serviceWorker;
        const controlling = new Promise<void>((resolve) => {
          const check = () => {
            if (container.controller !== sw) return;
            container.removeEventListener('controllerchange', check);
            resolve();
          };
          container.addEventListener('controllerchange', check);
          check();
        });
        this.wb.messageSkipWaiting();
        await within(controlling, TAKEOVER_MS, 'the takeover');
      })();
      this.adoptions.set(sw, done);
    }
    return done;
  }
}

const agents = new Map<string, WorkerAgent>();

/** The page's agent for the worker at `url`; a failed registration is forgotten so a later init retries. */
export function agentFor(url: string): WorkerAgent {
  let agent = agents.get(url);
  if (!agent) {
    const created = new WorkerAgent(url);
    agents.set(url, created);
    created.registered.catch(() => agents.delete(url));
    agent = created;
  }
  return agent;
}
