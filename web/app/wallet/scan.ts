import jsQR from 'jsqr';

/**
 * Reading the bank's QR code: from the camera (getUserMedia, frames decoded with jsQR a few times a second)
 * or from a photo the person picks. Frames never leave the page.
 */

const canvas = document.createElement('canvas');

function decode(source: CanvasImageSource, width: number, height: number): string | undefined {
  if (width === 0 || height === 0) return undefined;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) return undefined;
  context.drawImage(source, 0, 0, width, height);
  const image = context.getImageData(0, 0, width, height);
  return jsQR(image.data, width, height, { inversionAttempts: 'attemptBoth' })?.data;
}

export class CameraScanner {
  #stream: MediaStream | undefined;
  #timer: number | undefined;

  /**
   * Starts the camera and calls `found` with the first QR text read.
   *
   * @throws Error when the camera is refused or absent (the caller offers the photo instead).
   */
  async start(video: HTMLVideoElement, found: (text: string) => void): Promise<void> {
    this.stop();
    this.#stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    video.srcObject = this.#stream;
    await video.play();
    const tick = (): void => {
      const text = decode(video, video.videoWidth, video.videoHeight);
      if (text === undefined) this.#timer = window.setTimeout(tick, 150);
      else {
        this.stop();
        found(text);
      }
    };
    tick();
  }

  stop(): void {
    if (this.#timer !== undefined) window.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = undefined;
  }
}

/** The QR text in a picked image, or undefined when none can be read. */
export async function decodeImageFile(file: File): Promise<string | undefined> {
  const bitmap = await createImageBitmap(file);
  try {
    // Large photos are scaled down: jsQR needs no more than about 1000 pixels across.
    const scale = Math.min(1, 1000 / Math.max(bitmap.width, bitmap.height));
    return decode(bitmap, Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
  } finally {
    bitmap.close();
  }
}
