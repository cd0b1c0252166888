// Audio level of a track for meters and "speaking" highlights: one shared AudioContext, one AnalyserNode per
// track, created on first use and dropped with the track.

let ctx: AudioContext | null = null;
const meters = new WeakMap<MediaStreamTrack, { an: AnalyserNode; buf: Float32Array<ArrayBuffer> }>();

/** RMS level of the track's latest ~20 ms, 0 (silence) … 1 (full scale); 0 for no track or an ended one. */
export function audioLevel(track: MediaStreamTrack | undefined): number {
  if (!track || track.readyState !== 'live' || !track.enabled || typeof AudioContext === 'undefined')
    return 0;
  let m = meters.get(track);
  if (!m) {
    ctx ??= new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 1024;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(an);
    m = { an, buf: new Float32Array(an.fftSize) };
    meters.set(track, m);
    track.addEventListener('ended', () => meters.delete(track));
  }
  // Created outside a user gesture, the context starts suspended; a later click (join) lets it run.
  if (ctx!.state === 'suspended') void ctx!.resume().catch(() => undefined);
  m.an.getFloatTimeDomainData(m.buf);
  let sum = 0;
  for (const x of m.buf) sum += x * x;
  return Math.min(1, Math.sqrt(sum / m.buf.length));
}
