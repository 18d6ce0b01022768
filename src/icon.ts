import { LabIcon } from '@jupyterlab/ui-components';

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" fill-rule="evenodd" d="M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20zm0 2a8 8 0 1 1 0 16a8 8 0 1 1 0-16z"/>
  <path class="jp-icon3" fill="#616161" d="M11 5h2v1.6c1.5.3 2.6 1.2 2.9 2.7h-2.1c-.2-.6-.8-1-1.8-1-1.1 0-1.7.5-1.7 1.1 0 .7.6 1 2.1 1.3 2.2.5 3.7 1.2 3.7 3.2 0 1.5-1.1 2.6-3.1 2.9V19h-2v-2.2c-1.8-.3-3-1.4-3.2-3h2.1c.2.8.9 1.2 2.1 1.2 1.2 0 1.9-.5 1.9-1.2 0-.7-.6-1-2.2-1.4-2.1-.5-3.6-1.2-3.6-3.1 0-1.4 1.1-2.5 2.9-2.8z"/>
</svg>`;

/** The sidebar and status bar icon: a coin. */
export const costIcon = new LabIcon({ name: 'jupyterlab-smcost:cost', svgstr });
