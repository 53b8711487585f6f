// <epim-playground>: one panel of the playground in any page, with one script tag:
//
//   <script type="module" src="https://YOUR-HOST/epim/js/element.js"></script>
//   <epim-playground panel="costs" network="resnet50-imagenet" preset="mnsim2"></epim-playground>
//
// Attributes mirror the URL state (see state.js ATTRIBUTE_KEYS). The element hosts the
// page in embed mode inside an iframe (its styles and the wasm module stay isolated)
// and takes the panel's height (growing and shrinking), which the page reports with
// postMessage. From another origin the host serving element.js must send CORS headers
// for the module (see README.md, "Embedding a panel"); scripts/serve.mjs does.
import { hashFromAttributes, ATTRIBUTE_KEYS, PANELS } from './state.js';

const PAGE = new URL('../index.html', import.meta.url);

export class EpimPlayground extends HTMLElement {
  static get observedAttributes() {
    return Object.keys(ATTRIBUTE_KEYS);
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML = '<style>:host{display:block}iframe{border:0;width:100%;height:600px;display:block}</style><iframe loading="lazy"></iframe>';
      this.frame = root.querySelector('iframe');
      this.onMessage = (ev) => {
        if (ev.source === this.frame.contentWindow && typeof ev.data?.epimPlaygroundHeight === 'number') {
          this.frame.style.height = `${Math.ceil(ev.data.epimPlaygroundHeight)}px`;
        }
      };
      window.addEventListener('message', this.onMessage);
    }
    this.render();
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
  }

  attributeChangedCallback() {
    if (this.frame) this.render();
  }

  /** The iframe address for the current attributes. */
  src() {
    const attrs = Object.fromEntries([...this.attributes].map((a) => [a.name, a.value]));
    const panel = PANELS.includes(attrs.panel) ? attrs.panel : 'costs';
    const url = new URL(PAGE);
    url.searchParams.set('embed', panel);
    url.hash = hashFromAttributes({ ...attrs, panel });
    return url.href;
  }

  render() {
    const src = this.src();
    this.frame.title = this.getAttribute('title') ?? `EPIM Playground: ${this.getAttribute('panel') ?? 'costs'}`;
    if (this.frame.src !== src) this.frame.src = src;
  }
}

if (!customElements.get('epim-playground')) customElements.define('epim-playground', EpimPlayground);
