// Writes a still picture as a Y4M video (YUV4MPEG2, 4:2:0), the format Chromium's fake camera
// plays with --use-file-for-fake-video-capture. The picture is centred on a white frame.
'use strict';
const fs = require('node:fs');
const { PNG } = require('pngjs');

/**
 * @param {Buffer} png  an RGBA/RGB PNG file (e.g. a QR code)
 * @param {string} file the .y4m to write
 * @param {{width?: number, height?: number, frames?: number}} [options] frame size (even numbers)
 */
function writeY4mFromPng(png, file, { width = 640, height = 480, frames = 2 } = {}) {
  const picture = PNG.sync.read(png);
  if (picture.width > width || picture.height > height) throw new Error('picture larger than the video frame');
  const y = Buffer.alloc(width * height, 235);          // white in limited-range luma
  const left = (width - picture.width) >> 1;
  const top = (height - picture.height) >> 1;
  for (let row = 0; row < picture.height; row++) {
    for (let col = 0; col < picture.width; col++) {
      const i = (row * picture.width + col) * 4;
      const alpha = picture.data[i + 3] / 255;
      const r = picture.data[i] * alpha + 255 * (1 - alpha);
      const g = picture.data[i + 1] * alpha + 255 * (1 - alpha);
      const b = picture.data[i + 2] * alpha + 255 * (1 - alpha);
      y[(top + row) * width + left + col] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);  // grey: no colour
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  fs.writeFileSync(file, Buffer.concat([header, ...Array(frames).fill(frame)]));
}

module.exports = { writeY4mFromPng };
