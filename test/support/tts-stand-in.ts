import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import { wavFile } from '../../src/speech/wav-audio.ts';

const require = createRequire(import.meta.url);
/** `<package>/build/protos`, found from the package's entry point (build/src/index.js). */
const protosOf = (name: string): string => path.resolve(path.dirname(require.resolve(name)), '..', 'protos');
const ttsProtos = protosOf('@google-cloud/text-to-speech');
const gaxProtos = protosOf('google-gax');

/** A SynthesizeSpeech request as it arrived on the wire (decoded with the library's own .proto). */
export interface WireRequest {
  input: { text?: string; ssml?: string };
  voice: { languageCode: string; name: string };
  audioConfig: { audioEncoding: string; sampleRateHertz: number; effectsProfileId: string[] };
}

/**
 * A loopback stand-in for google.cloud.texttospeech.v1.TextToSpeech: the real service definition from the
 * library's protos, insecure, answering SynthesizeSpeech with a WAV as long as the text (10 ms a character).
 */
export class TtsStandIn {
  readonly requests: WireRequest[] = [];
  /** Requests for which this returns a gRPC error instead of audio. */
  failWhen: (request: WireRequest) => { code: grpc.status; details: string } | null = () => null;
  /** Leave the WAV header off (as v1 never does for LINEAR16/MULAW) to check that the client side adds one. */
  headerless = false;
  private server = new grpc.Server();
  port = 0;

  async start(): Promise<void> {
    const definition = protoLoader.loadSync('google/cloud/texttospeech/v1/cloud_tts.proto', {
      includeDirs: [ttsProtos, gaxProtos],
      keepCase: false,
      enums: String,
      longs: Number,
      defaults: false,
      arrays: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { cloud: { texttospeech: { v1: { TextToSpeech: { service: grpc.ServiceDefinition } } } } };
    };
    this.server.addService(loaded.google.cloud.texttospeech.v1.TextToSpeech.service, {
      synthesizeSpeech: (call: grpc.ServerUnaryCall<WireRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const request = call.request;
        this.requests.push(request);
        const failure = this.failWhen(request);
        if (failure) {
          callback({ code: failure.code, details: failure.details });
          return;
        }
        const words = request.input.text ?? request.input.ssml ?? '';
        const mulaw = request.audioConfig.audioEncoding === 'MULAW';
        const samples = words.length * 80;
        const data = mulaw ? Buffer.alloc(samples, 0xff) : Buffer.alloc(samples * 2);
        const audioContent = this.headerless ? data : wavFile(data, { sampleRate: request.audioConfig.sampleRateHertz, format: mulaw ? 'mulaw' : 'pcm' });
        callback(null, { audioContent });
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
  }

  /** Client options that point the real TextToSpeechClient here, over plaintext, with no Google credentials. */
  clientOptions(): { apiEndpoint: string; port: number; sslCreds: grpc.ChannelCredentials; universeDomain: string } {
    // An explicit universe keeps google-auth from asking the GCE metadata server which one it is in.
    return { apiEndpoint: '127.0.0.1', port: this.port, sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
