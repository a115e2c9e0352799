/** WAV format codes this project writes and reads: 16-bit PCM and G.711 μ-law. */
export const WAV_FORMAT = { pcm: 1, mulaw: 7 } as const;

/** The facts of a WAV file that matter here: its format and where its samples are. */
export interface WavInfo {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  byteRate: number;
  data: Buffer;
  seconds: number;
}

/** Reads a RIFF/WAVE file's fmt and data chunks; throws when the buffer is not one. */
export function parseWav(file: Buffer): WavInfo {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let offset = 12;
  let fmt: Omit<WavInfo, 'data' | 'seconds'> | null = null;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const declared = file.readUInt32LE(offset + 4);
    const start = offset + 8;
    // Streamed WAVs (espeak-ng --stdout, some encoders) leave the size at 0 or 0xFFFFFFFF: take the rest.
    const size = id === 'data' && (declared === 0 || start + declared > file.length) ? file.length - start : declared;
    if (id === 'fmt ') {
      fmt = {
        format: file.readUInt16LE(start),
        channels: file.readUInt16LE(start + 2),
        sampleRate: file.readUInt32LE(start + 4),
        byteRate: file.readUInt32LE(start + 8),
        bitsPerSample: file.readUInt16LE(start + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before its fmt chunk');
      const data = file.subarray(start, start + size);
      return { ...fmt, data, seconds: fmt.byteRate > 0 ? data.length / fmt.byteRate : 0 };
    }
    offset = start + size + (size % 2);
  }
  throw new Error('WAV file without a data chunk');
}

/** A mono WAV file around raw samples (16-bit PCM or 8-bit μ-law). */
export function wavFile(data: Buffer, options: { sampleRate: number; format: 'pcm' | 'mulaw' }): Buffer {
  const bitsPerSample = options.format === 'pcm' ? 16 : 8;
  const blockAlign = bitsPerSample / 8;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(WAV_FORMAT[options.format], 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(options.sampleRate, 24);
  header.writeUInt32LE(options.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bitsPerSample, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The audio as a WAV file: returned as it is when it already has a RIFF header, else wrapped as raw mono samples. */
export function ensureWav(audio: Buffer, options: { sampleRate: number; format: 'pcm' | 'mulaw' }): Buffer {
  return audio.toString('ascii', 0, 4) === 'RIFF' ? audio : wavFile(audio, options);
}

/**
 * Converts a 16-bit PCM WAV (any rate, mono or stereo) to 16-bit mono PCM at the target rate: channels averaged,
 * each output sample the mean of the input samples it covers (a box filter, enough against aliasing for
 * rough local voices), linear interpolation when upsampling.
 */
export function resampleWav(file: Buffer, targetRate: number): Buffer {
  const info = parseWav(file);
  if (info.format !== WAV_FORMAT.pcm || info.bitsPerSample !== 16) throw new Error('only 16-bit PCM WAV can be resampled');
  const frames = Math.floor(info.data.length / (2 * info.channels));
  const mono = new Float64Array(frames);
  for (let i = 0; i < frames; i += 1) {
    let sum = 0;
    for (let c = 0; c < info.channels; c += 1) sum += info.data.readInt16LE((i * info.channels + c) * 2);
    mono[i] = sum / info.channels;
  }
  const ratio = info.sampleRate / targetRate;
  const outFrames = Math.floor(frames / ratio);
  const out = Buffer.alloc(outFrames * 2);
  for (let j = 0; j < outFrames; j += 1) {
    let value: number;
    if (ratio > 1) {
      const from = Math.floor(j * ratio);
      const to = Math.max(from + 1, Math.min(frames, Math.floor((j + 1) * ratio)));
      let sum = 0;
      for (let i = from; i < to; i += 1) sum += mono[i];
      value = sum / (to - from);
    } else {
      const at = j * ratio;
      const i = Math.floor(at);
      const next = Math.min(i + 1, frames - 1);
      value = mono[i] + (mono[next] - mono[i]) * (at - i);
    }
    out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(value))), j * 2);
  }
  return wavFile(out, { sampleRate: targetRate, format: 'pcm' });
}
