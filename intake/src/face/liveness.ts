import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../image';
import { packageVersion } from '../versions';
import { loadFaceModels } from './matcher';

/**
 * Passive liveness of a selfie: the anti-spoofing and liveness models shipped in `@vladmandic/human`, run on
 * the same TensorFlow.js WASM backend as the face matcher, in memory. What the scores are, and are not: each
 * is one model's opinion on ONE still image that it shows a live face rather than a print or a screen (0 to 1,
 * higher is more likely real). They are not proof that the person was present: a good replay or a mask can
 * score high, and they were not calibrated here on real spoofs (no registry package ships a spoof set). The
 * evidence records them for the officer and the audit; they do not raise or lower the assurance level.
 */

export const LIVENESS_NOTE =
  'passive scores from one still image (anti-spoof, liveness; 0–1, higher = more likely a live face); not proof of presence, not calibrated on real spoofs';

export interface Liveness {
  readonly antispoof: number;
  readonly liveness: number;
  readonly model: string;
  readonly note: string;
}

/** The slice of Human's API used here (its bundled types are for browsers). */
interface HumanInstance {
  load(): Promise<void>;
  detect(input: tf.Tensor3D): Promise<{ face: { real?: number; live?: number; score: number }[] }>;
}

const humanDist = (): string => dirname(require.resolve('@vladmandic/human'));
const modelDir = (): string => join(humanDist(), '..', 'models');

/**
 * tfjs loads Human's models through a URL; a `file://` router for that directory alone reads them from the
 * package (nothing is fetched, and the process's `fetch` is left alone).
 */
function registerModelRouter(): void {
  const base = `file://${modelDir()}/`;
  tf.io.registerLoadRouter((url): tf.io.IOHandler => {
    const path = typeof url === 'string' && url.startsWith(base) ? url.slice('file://'.length) : undefined;
    // A router answers null for URLs it does not handle (tfjs's own typing omits it).
    if (path === undefined) return null as unknown as tf.io.IOHandler;
    return {
      load: (): Promise<tf.io.ModelArtifacts> => {
        const json = JSON.parse(readFileSync(path, 'utf8')) as {
          modelTopology: object;
          format?: string;
          weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
        };
        const weights = json.weightsManifest.flatMap((group) =>
          group.paths.map((p) => readFileSync(join(dirname(path), p))),
        );
        const data = Buffer.concat(weights);
        return Promise.resolve({
          modelTopology: json.modelTopology,
          format: json.format,
          weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
          weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
        });
      },
    };
  });
}

let human: Promise<HumanInstance> | undefined;

async function open(): Promise<HumanInstance> {
  await loadFaceModels(); // sets the WASM backend once for both libraries
  registerModelRouter();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's `exports` map has no subpath for its WASM build
  const { Human } = require(join(humanDist(), 'human.node-wasm.js')) as {
    Human: new (config: object) => HumanInstance;
  };
  const off = { enabled: false };
  const instance = new Human({
    backend: 'wasm',
    modelBasePath: `file://${modelDir()}/`,
    debug: false,
    cacheModels: false,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 1 },
      mesh: { enabled: true },
      iris: off,
      description: off,
      emotion: off,
      antispoof: { enabled: true },
      liveness: { enabled: true },
    },
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
    filter: off,
  });
  await instance.load();
  return instance;
}

/** Human's model files are from its package: the version says which. */
export function livenessModel(): string {
  return `@vladmandic/human ${packageVersion('@vladmandic/human')} (antispoof, liveness models as shipped)`;
}

/**
 * The passive scores of the largest face in `selfie`, or undefined when the liveness models find no face
 * (the face matcher decides about faces; this only adds an opinion).
 */
export async function livenessScores(selfie: Uint8Array): Promise<Liveness | undefined> {
  human ??= open().catch((err: unknown) => {
    human = undefined;
    throw err;
  });
  const detector = await human;
  const image = await decodeImage(selfie);
  const canvas = createCanvas(image.width, image.height);
  canvas.getContext('2d').drawImage(image, 0, 0);
  const rgba = canvas.getContext('2d').getImageData(0, 0, image.width, image.height).data;
  const rgb = new Int32Array(image.width * image.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4) {
    rgb[j++] = rgba[i] ?? 0;
    rgb[j++] = rgba[i + 1] ?? 0;
    rgb[j++] = rgba[i + 2] ?? 0;
  }
  const tensor = tf.tensor3d(rgb, [image.height, image.width, 3], 'int32');
  try {
    const [face] = (await detector.detect(tensor)).face;
    if (face?.real === undefined || face.live === undefined) return undefined;
    return { antispoof: face.real, liveness: face.live, model: livenessModel(), note: LIVENESS_NOTE };
  } finally {
    tensor.dispose();
  }
}
