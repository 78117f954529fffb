// Enrolment from the webcam: a live preview, a capture button, and the camera released when done.
import { h, replace, toast } from './dom.js';

export async function webcamCapture(container, onCapture) {
  // Browsers offer cameras only to secure pages: https, or http on localhost.
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    replace(container, h('p', { class: 'warn' }, 'This browser offers no camera here: open the console over https or on localhost.'));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  } catch (e) {
    replace(container, h('p', { class: 'warn' }, `The camera is not available (${e.message}).`));
    return;
  }
  const video = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': 'Camera preview' });
  video.srcObject = stream;
  const stop = () => {
    for (const track of stream.getTracks()) track.stop();
    replace(container);
    window.removeEventListener('hashchange', stop);
  };
  // Leaving the page must switch the camera off.
  window.addEventListener('hashchange', stop);
  const take = h('button', { type: 'button', class: 'primary',
    onclick: () => {
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext('2d').drawImage(video, 0, 0);
      canvas.toBlob(async (blob) => {
        if (!blob) { toast('The capture failed.', 'error'); return; }
        take.disabled = true;
        try { await onCapture(blob); } catch { /* reported by the caller */ } finally { take.disabled = false; }
      }, 'image/jpeg', 0.92);
    } }, 'Take photo and enrol');
  replace(container, video, h('div', { class: 'row' }, take, h('button', { type: 'button', onclick: stop }, 'Stop camera')));
  take.focus();
}
