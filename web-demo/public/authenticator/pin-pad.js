// A numeric PIN pad: ten digit keys, delete and OK, plus the keyboard's digits while it is shown.
// The digits live only in this object and are cleared on every submit, cancel or reset; nothing
// is written into the DOM but one dot per digit.
export class PinPad {
  #root;
  #digits = '';
  #minLength;
  #maxLength;
  #onSubmit;
  #onCancel;
  #dots;
  #ok;

  constructor(root, { minLength = 4, maxLength = 12, onSubmit, onCancel }) {
    this.#root = root;
    this.#minLength = minLength;
    this.#maxLength = maxLength;
    this.#onSubmit = onSubmit;
    this.#onCancel = onCancel;
    root.classList.add('pin-pad');
    this.#dots = Object.assign(document.createElement('div'), { className: 'pin-dots' });
    this.#dots.setAttribute('aria-live', 'polite');
    const keys = document.createElement('div');
    keys.className = 'pin-keys';
    for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'back', '0', 'ok']) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.key = key;
      b.textContent = key === 'back' ? '⌫' : key === 'ok' ? 'OK' : key;
      if (key === 'back') b.setAttribute('aria-label', 'delete last digit');
      b.addEventListener('click', () => this.#press(key));
      keys.append(b);
    }
    this.#ok = keys.querySelector('[data-key=ok]');
    const cancel = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary pin-cancel', textContent: 'Cancel' });
    cancel.dataset.key = 'cancel';
    cancel.addEventListener('click', () => this.#press('cancel'));
    root.replaceChildren(this.#dots, keys, cancel);
    document.addEventListener('keydown', (e) => {
      if (root.closest('.hidden') || this.disabled) return;
      if (/^[0-9]$/.test(e.key)) this.#press(e.key);
      else if (e.key === 'Backspace') this.#press('back');
      else if (e.key === 'Enter') this.#press('ok');
      else if (e.key === 'Escape') this.#press('cancel');
      else return;
      e.preventDefault();
    });
    this.reset();
  }

  get disabled() {
    return this.#root.classList.contains('busy');
  }

  set disabled(on) {
    this.#root.classList.toggle('busy', on);
    for (const b of this.#root.querySelectorAll('button')) b.disabled = on;
    if (!on) this.#render();
  }

  reset() {
    this.#digits = '';
    this.#render();
  }

  #press(key) {
    if (this.disabled) return;
    if (key === 'cancel') {
      this.reset();
      this.#onCancel?.();
    } else if (key === 'back') {
      this.#digits = this.#digits.slice(0, -1);
    } else if (key === 'ok') {
      if (this.#digits.length < this.#minLength) return;
      const pin = this.#digits;
      this.reset();
      this.#onSubmit(pin);
    } else if (this.#digits.length < this.#maxLength) {
      this.#digits += key;
    }
    this.#render();
  }

  #render() {
    this.#dots.textContent = '•'.repeat(this.#digits.length) || '\u00a0';
    this.#dots.dataset.length = String(this.#digits.length);
    this.#ok.disabled = this.disabled || this.#digits.length < this.#minLength;
  }
}
