// Makes a MediaRecorder WebM seekable: MediaRecorder writes neither the duration nor cues (it cannot know them
// while streaming). ts-ebml reads the file chunk by chunk, collecting the header elements, the cluster positions
// and the last timestamp, and writes a new header with Duration, SeekHead and Cues. Only the header is new: the
// clusters stay where they are in the stored chunks. Built as its own file (dist/sdk/agora-rtc-webm.js) and
// loaded when a recording is finalised, so calls that never record do not download the EBML code.
import { Decoder, Reader, tools } from 'ts-ebml';

export interface FixedHeader {
  /** The new header: replaces the first `skip` bytes of the file. */
  head: Blob;
  skip: number;
  /** Bytes of the file up to the end of its last complete element: a crash can cut the last one short. */
  end: number;
  durationMs: number;
}

/** Reads `chunks` (the file's bytes in order) once; null when they hold no complete header (nothing recorded). */
export async function fixWebm(chunks: AsyncIterable<Blob>): Promise<FixedHeader | null> {
  const decoder = new Decoder();
  const reader = new Reader();
  reader.logging = false;
  reader.drop_default_duration = false;
  let end = 0;
  for await (const chunk of chunks) {
    for (const elm of decoder.decode(await chunk.arrayBuffer())) {
      const cues = reader.cues.length;
      reader.read(elm);
      // The reader cues every cluster at its first video block, but MediaRecorder starts clusters between key
      // frames too: a player that seeks to such a cue cannot decode from there. Keep the cues on key frames.
      if (reader.cues.length > cues && elm.type === 'b' && !tools.ebmlBlock(elm.data).keyframe)
        reader.cues.pop();
      // Master elements of unknown size (Segment, Cluster) have no end of their own.
      if (elm.type !== 'm' && elm.dataEnd > end) end = elm.dataEnd;
    }
  }
  reader.stop();
  if (reader.metadatas.length === 0 || reader.metadataSize === 0) return null;
  const durationMs = (reader.duration * reader.timestampScale) / 1e6;
  const head = tools.makeMetadataSeekable(reader.metadatas, reader.duration, reader.cues);
  return { head: new Blob([head]), skip: reader.metadataSize, end, durationMs };
}
