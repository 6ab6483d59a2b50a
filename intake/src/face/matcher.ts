import { dirname, join } from 'node:path';
import type { Canvas, Image } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { KycError } from '../../../protocol/src';
import { decodeImage, transform } from '../image';
import { packageVersion } from '../versions';

/**
 * Decision threshold on the Euclidean distance of face-api's 128-d descriptors. Chosen from the measured
 * distributions in docs/intake.md: every different-person pair measured was above 0.5, every same-image pair
 * (rescaled, recompressed, rotated, relit) below 0.25; 0.45 leaves margin on both sides. face-api's usual 0.6
 * let different people through in an earlier trial.
 */
export const FACE_MATCH_THRESHOLD = 0.45;
/** Faces are found on a copy at most this wide: enough for a portrait, cheap on two cores. */
const MAX_WIDTH = 800;

export interface FaceMatch {
  readonly distance: number;
  readonly threshold: number;
  readonly match: boolean;
  readonly selfieScore: number;
  readonly portraitScore: number;
  readonly seconds: number;
}

export interface FaceModelVersions {
  readonly library: string;
  readonly backend: string;
  readonly models: string;
}

let ready: Promise<void> | undefined;

async function load(): Promise<void> {
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
}

/** Loads the models shipped in the face-api package (once per process): nothing is downloaded. */
export function loadFaceModels(): Promise<void> {
  ready ??= load();
  return ready;
}

export function faceModelVersions(): FaceModelVersions {
  return {
    library: `@vladmandic/face-api ${packageVersion('@vladmandic/face-api')}`,
    backend: `@tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}`,
    models: 'ssd_mobilenetv1 + face_landmark_68 + face_recognition (128-d), as shipped in the face-api package',
  };
}

export interface Face {
  /** face-api's 128-d descriptor: biometric data, kept in memory only. */
  readonly descriptor: Float32Array;
  readonly score: number;
}

function tensorOf(canvas: Canvas): tf.Tensor3D {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  return tf.tidy(() =>
    tf.tensor3d(new Uint8Array(rgba.buffer), [height, width, 4], 'int32').slice([0, 0, 0], [-1, -1, 3]),
  );
}

/** The largest face in the image (a document photo may show ghost images; a selfie should show one face). */
async function largestFace(image: Image, what: string): Promise<Face> {
  const canvas = transform(image, Math.min(1, MAX_WIDTH / image.width));
  const tensor = tensorOf(canvas);
  try {
    const faces = await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    const area = (f: (typeof faces)[number]): number => f.detection.box.width * f.detection.box.height;
    const best = faces.sort((a, b) => area(b) - area(a))[0];
    if (best === undefined) {
      throw new KycError('KYC_UNREADABLE', `no face found in the ${what}`);
    }
    return { descriptor: best.descriptor, score: best.detection.score };
  } finally {
    tensor.dispose();
  }
}

/**
 * The descriptor of the largest face in an image (for comparing one portrait with several selfies).
 *
 * @throws KycError KYC_INVALID_ARGUMENT (not a JPEG/PNG, too large), KYC_UNREADABLE (no face).
 */
export async function describeFace(bytes: Uint8Array, what = 'image'): Promise<Face> {
  await loadFaceModels();
  return largestFace(await decodeImage(bytes), what);
}

export function faceDistance(a: Face, b: Face): number {
  return faceapi.euclideanDistance(a.descriptor, b.descriptor);
}

/**
 * Compares the person's selfie with the document portrait (a crop of the document photo or the chip's DG2),
 * in memory only.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (not a JPEG/PNG, too large), KYC_UNREADABLE (no face in one of them).
 */
export async function matchFaces(
  selfie: Uint8Array,
  portrait: Uint8Array,
  threshold = FACE_MATCH_THRESHOLD,
): Promise<FaceMatch> {
  const started = performance.now();
  const a = await describeFace(selfie, 'selfie');
  const b = await describeFace(portrait, 'portrait');
  const distance = faceDistance(a, b);
  return {
    distance,
    threshold,
    match: distance < threshold,
    selfieScore: a.score,
    portraitScore: b.score,
    seconds: (performance.now() - started) / 1000,
  };
}
