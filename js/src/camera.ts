import { deviceError } from './errors.js';

/** Anything that decodes QR codes from pixels: an `Authenticator` (its `scanQr`). */
export interface QrImageDecoder {
  scanQr(image: ImageData): Promise<Uint8Array | null>;
}

export interface CameraScanOptions {
  /** Shows the camera picture while scanning. The scanner sets and clears its `srcObject`. Default: an off-screen video element. */
  video?: HTMLVideoElement;
  /** Aborting stops the camera and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Milliseconds between two decode attempts. Default 150. */
  interval?: number;
  /** Which camera. Default `{ facingMode: 'environment' }` (the back camera on phones). */
  constraints?: MediaTrackConstraints;
  /** Where to find `getUserMedia`. Default `navigator.mediaDevices`. */
  mediaDevices?: MediaDevices;
}

/**
 * Opens the camera, decodes video frames with `decoder.scanQr` until one holds a QR code, and
 * resolves with its payload bytes. Every camera track is stopped as soon as a payload is found,
 * and also when scanning fails or is aborted, so the camera light never stays on.
 *
 * Rejects with `CAMERA_UNAVAILABLE` (no camera API, e.g. an insecure context; no camera; camera in
 * use or unplugged) or `CAMERA_DENIED` (the user or a policy refused the permission), both of
 * kind `device`, or with `signal.reason` when aborted.
 */
export async function scanQrFromCamera(decoder: QrImageDecoder, options: CameraScanOptions = {}): Promise<Uint8Array> {
  const { signal, interval = 150 } = options;
  signal?.throwIfAborted();
  const stream = await openCamera(options);
  const video = options.video ?? document.createElement('video');
  const stopAll = () => {
    for (const track of stream.getTracks()) track.stop();
    if (video.srcObject === stream) video.srcObject = null;
  };
  try {
    const ended = trackEnded(stream);
    const aborted = abortedBy(signal);
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await Promise.race([video.play(), ended, aborted]);
    const frames = new FrameGrabber();
    for (;;) {
      const frame = frames.grab(video);
      const bytes = frame ? await decoder.scanQr(frame) : null;
      if (bytes) return bytes;
      await Promise.race([sleep(interval), ended, aborted]);
    }
  } finally {
    stopAll();
  }
}

async function openCamera(options: CameraScanOptions): Promise<MediaStream> {
  const devices = options.mediaDevices ?? (typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined);
  if (!devices?.getUserMedia) {
    throw deviceError('CAMERA_UNAVAILABLE', 'no camera API here: getUserMedia needs a secure context (https or localhost)');
  }
  try {
    return await devices.getUserMedia({ video: options.constraints ?? { facingMode: 'environment' }, audio: false });
  } catch (err) {
    const name = (err as DOMException)?.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw deviceError('CAMERA_DENIED', `camera permission refused (${name})`);
    }
    throw deviceError('CAMERA_UNAVAILABLE', `no usable camera (${name ?? 'error'}: ${(err as Error)?.message ?? err})`);
  }
}

/** Rejects when the camera goes away mid-scan (unplugged, taken by another app). */
function trackEnded(stream: MediaStream): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    for (const track of stream.getVideoTracks()) {
      track.addEventListener('ended', () => reject(deviceError('CAMERA_UNAVAILABLE', 'the camera stopped')), { once: true });
    }
  });
  promise.catch(() => {});  // observed by the race that is waiting at the time
  return promise;
}

function abortedBy(signal: AbortSignal | undefined): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  promise.catch(() => {});
  return promise;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Copies the current video frame into RGBA pixels; one canvas, reused. */
class FrameGrabber {
  #canvas?: HTMLCanvasElement;
  #context?: CanvasRenderingContext2D | null;

  grab(video: HTMLVideoElement): ImageData | null {
    const { videoWidth: width, videoHeight: height } = video;
    if (!width || !height) return null;  // no frame decoded yet
    this.#canvas ??= document.createElement('canvas');
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas.width = width;
      this.#canvas.height = height;
      this.#context = this.#canvas.getContext('2d', { willReadFrequently: true });
    }
    if (!this.#context) return null;
    this.#context.drawImage(video, 0, 0, width, height);
    return this.#context.getImageData(0, 0, width, height);
  }
}
