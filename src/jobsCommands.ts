/**
 * "Run as SageMaker job…" (issue 17): the command (palette, the notebook's and
 * the Python editor's toolbars, the file browser's context menu on .ipynb and
 * .py files), which saves the document first, asks for the
 * type, count, Spot and run time with the cost before, and starts the job.
 * Where jobs cannot run (local mode, no AWS) it says why instead.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { Format } from './format';
import { costIcon } from './icon';
import { JobsModel } from './jobs';
import { JobDialogBody } from './jobsView';
import { messageText } from './messages';
import { IPrice, IRecommendation, PANEL_ID } from './tokens';

export const RUN_AS_JOB = 'smcost:run-as-job';
const RUNNABLE = /\.(ipynb|py)$/i;
/** The file browser's items the context menu offers it on (JupyterLab's file types). */
export const RUNNABLE_ITEMS = [
  '.jp-DirListing-item[data-file-type="notebook"]',
  '.jp-DirListing-item[data-file-type="python"]'
];

/** The document a widget shows, if it has a context (notebooks, editors). */
function contextOf(widget: unknown): any {
  const context = (widget as any)?.context;
  return context && !context.isDisposed ? context : null;
}

export function registerJobCommands(
  app: JupyterFrontEnd,
  jobs: JobsModel,
  fmt: Format,
  notebookPrice: () => IPrice | null,
  smallerType: () => IRecommendation | null,
  palette: ICommandPalette | null,
  fileBrowser: IDefaultFileBrowser | null = null
): void {
  const trans = fmt.trans;
  const { commands } = app;
  const current = () => contextOf(app.shell.currentWidget);
  /** The file the command is for: given, the file browser's selection, or the current document. */
  const pathOf = (args: Record<string, unknown>): string => {
    if (typeof args['path'] === 'string') {
      return args['path'];
    }
    if (args['fromBrowser'] && fileBrowser) {
      const item = fileBrowser.selectedItems().next();
      return item && !item.done ? item.value.path : '';
    }
    return current()?.path ?? '';
  };

  commands.addCommand(RUN_AS_JOB, {
    label: trans.__('Run as SageMaker job…'),
    caption: trans.__(
      'Run this notebook or script as a SageMaker training job (Spot by default), with its cost before and after'
    ),
    icon: args => (args['isPalette'] ? undefined : costIcon),
    isEnabled: args => RUNNABLE.test(pathOf(args)),
    execute: async args => {
      const path = pathOf(args);
      const context = current()?.path === path ? current() : null;
      if (jobs.available === null) {
        await jobs.refresh();
      }
      if (jobs.available === false) {
        await showDialog({
          title: trans.__('SageMaker jobs are unavailable here'),
          body: jobs.unavailableMessage
            ? messageText(fmt, jobs.unavailableMessage)
            : (jobs.unavailableReason ?? fmt.error(jobs.error)),
          buttons: [Dialog.okButton()]
        });
        return;
      }
      if (context?.model?.dirty) {
        await context.save(); // the server reads the file as it is on disk
      }
      let types;
      try {
        types = await jobs.api.types();
      } catch (e) {
        Notification.error(fmt.error(e), { autoClose: 8000 });
        return;
      }
      const body = new JobDialogBody(
        path,
        types,
        r => jobs.api.estimate(r),
        fmt,
        notebookPrice(),
        smallerType()
      );
      const result = await showDialog({
        title: trans.__('Run as SageMaker job'),
        body,
        buttons: [
          Dialog.cancelButton(),
          Dialog.okButton({ label: trans.__('Start job') })
        ]
      });
      if (!result.button.accept || !result.value) {
        return;
      }
      try {
        const job = await jobs.submit(result.value);
        Notification.success(
          trans.__(
            'Job %1 started; follow it in the SageMaker cost panel.',
            job.name
          ),
          { autoClose: 6000 }
        );
        app.shell.activateById(PANEL_ID);
      } catch (e) {
        Notification.error(
          trans.__('The job did not start: %1', fmt.error(e)),
          {
            autoClose: false
          }
        );
      }
    }
  });

  if (palette) {
    palette.addItem({
      command: RUN_AS_JOB,
      category: trans.__('SageMaker cost'),
      args: { isPalette: true }
    });
  }

  // the file browser's context menu, on notebooks and Python files
  if (fileBrowser) {
    for (const selector of RUNNABLE_ITEMS) {
      app.contextMenu.addItem({
        command: RUN_AS_JOB,
        selector,
        rank: 60,
        args: { fromBrowser: true }
      });
    }
  }

  // a toolbar button on notebooks and on Python editors
  for (const factory of ['Notebook', 'Editor']) {
    app.docRegistry.addWidgetExtension(factory, {
      createNew: (widget: any, context: any) => {
        if (factory === 'Editor' && !RUNNABLE.test(context.path)) {
          return { dispose: () => undefined, isDisposed: false } as any;
        }
        const button = new CommandToolbarButton({
          commands,
          id: RUN_AS_JOB,
          args: { path: context.path },
          label: trans.__('Run as job')
        });
        button.addClass('jp-SmCost-runAsJob');
        widget.toolbar?.insertItem(10, 'smcostRunAsJob', button);
        return button;
      }
    });
  }
}
