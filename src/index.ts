import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * Minimal plugin: checks that the server extension answers.
 * The panel, status bar item and model are built on top of this.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-smcost:plugin',
  description: 'SageMaker cost, idle shutdown and right-sizing.',
  autoStart: true,
  activate: async (app: JupyterFrontEnd) => {
    const settings = ServerConnection.makeSettings();
    const url = URLExt.join(settings.baseUrl, 'smcost', 'status');
    const response = await ServerConnection.makeRequest(url, {}, settings);
    if (!response.ok) {
      console.warn(`jupyterlab-smcost: server extension answered ${response.status}`);
    }
  }
};

export default plugin;
