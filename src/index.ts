import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';

import { Format } from './format';
import { idleReasons } from './messages';
import { costIcon } from './icon';
import { SmCostModel } from './model';
import { SmCostPanel } from './panel';
import { registerJobCommands } from './jobsCommands';
import { IDeadlineEvent, StatusModel } from './status';
import { SmCostStatusItem } from './statusbar';
import { CommandIDs, PANEL_ID, PLUGIN_ID, STATUS_ITEM_ID } from './tokens';

/** User display preferences (schema/plugin.json). */
interface IPreferences {
  refreshInterval: number;
  showStatusBar: boolean;
  saveBeforeShutdown: boolean;
}

const DEFAULTS: IPreferences = {
  refreshInterval: 30,
  showStatusBar: true,
  saveBeforeShutdown: true
};

/**
 * Save every dirty document open in the main area (notebooks and files);
 * returns how many saves succeeded.
 */
export async function saveDirtyDocuments(
  app: JupyterFrontEnd,
  model?: StatusModel
): Promise<number> {
  const contexts = new Set<any>();
  for (const widget of app.shell.widgets('main')) {
    const context = (widget as any).context;
    if (
      context &&
      !context.isDisposed &&
      context.model?.dirty &&
      typeof context.save === 'function' &&
      context.contentsModel?.writable !== false
    ) {
      contexts.add(context);
    }
  }
  // these saves are for the shutdown: they must not count as activity
  await model?.announceShutdownSaves(
    [...contexts].map(context => String(context.localPath ?? context.path))
  );
  const results = await Promise.allSettled(
    [...contexts].map(context => context.save())
  );
  results.forEach(r => {
    if (r.status === 'rejected') {
      console.error('jupyterlab-smcost: save before shutdown failed', r.reason);
    }
  });
  return results.filter(r => r.status === 'fulfilled').length;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'SageMaker cost: instance price, spend, idle-shutdown countdown and warnings.',
  autoStart: true,
  optional: [
    ICommandPalette,
    IStatusBar,
    ISettingRegistry,
    ILayoutRestorer,
    ITranslator,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const fmt = new Format(translator ?? nullTranslator);
    const trans = fmt.trans;
    const prefs: IPreferences = { ...DEFAULTS };
    const prefsChanged = new Signal<any, void>(app);
    const model = new SmCostModel({ interval: prefs.refreshInterval });
    const status = model.status;
    const { commands } = app;

    const panel = new SmCostPanel(model, commands, fmt);
    app.shell.add(panel, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    /** Tell the user that `what` failed, with the server's message. */
    const notify = (promise: Promise<unknown>, failed: () => string) =>
      promise.catch(e => {
        Notification.error(trans.__('%1: %2', failed(), fmt.error(e)), {
          autoClose: 8000
        });
      });

    commands.addCommand(CommandIDs.open, {
      label: trans.__('Open SageMaker cost panel'),
      caption: trans.__('Show instance cost and the idle-shutdown countdown'),
      icon: args => (args['isPalette'] ? undefined : costIcon),
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });

    commands.addCommand(CommandIDs.keepRunning, {
      label: trans.__('Keep running (reset the idle clock)'),
      caption: trans.__('Restart the idle-shutdown countdown'),
      isEnabled: () => {
        const state = status.current?.idle.state;
        return state !== 'shutting_down' && state !== 'disabled';
      },
      execute: () =>
        notify(
          status.keepAlive().then(deadline => {
            Notification.success(
              deadline
                ? trans.__(
                    'Keeping it running: idle shutdown now at %1.',
                    fmt.clock(deadline)
                  )
                : trans.__('Keeping it running.'),
              { autoClose: 4000 }
            );
          }),
          () => trans.__('Keep running failed')
        )
    });

    commands.addCommand(CommandIDs.shutdown, {
      label: trans.__('Shut down now…'),
      caption: trans.__('Stop this instance/app now (asks first)'),
      isEnabled: () =>
        !!status.current?.environment.can_shutdown &&
        status.current.idle.state !== 'shutting_down' &&
        status.configErrors.length === 0,
      execute: async () => {
        const current = status.current;
        const what = fmt.shutdown(current?.environment.kind);
        const saves = prefs.saveBeforeShutdown
          ? trans.__('Open documents are saved first.')
          : trans.__('Unsaved changes in open documents are lost.');
        const result = await showDialog({
          title: trans.__('Shut down now?'),
          body: current
            ? trans.__(
                '%1. %2 It costs %3 while running.',
                what,
                saves,
                fmt.rate(current.price.per_hour, current.price.currency)
              )
            : trans.__('%1. %2', what, saves),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.warnButton({ label: trans.__('Shut down') })
          ]
        });
        if (!result.button.accept) {
          return;
        }
        if (prefs.saveBeforeShutdown) {
          await saveDirtyDocuments(app, status);
        }
        await notify(status.shutdown(), () => trans.__('Shut down failed'));
      }
    });

    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.keepRunning,
        CommandIDs.shutdown
      ]) {
        palette.addItem({
          command,
          category: trans.__('SageMaker cost'),
          args: { isPalette: true }
        });
      }
    }

    status.stateChanged.connect(() => {
      commands.notifyCommandChanged(CommandIDs.keepRunning);
      commands.notifyCommandChanged(CommandIDs.shutdown);
    });

    if (statusBar) {
      const item = new SmCostStatusItem(
        status,
        () => {
          void commands.execute(CommandIDs.open);
        },
        fmt,
        model.elsewhere
      );
      statusBar.registerStatusItem(STATUS_ITEM_ID, {
        item,
        align: 'left',
        rank: 50,
        isActive: () => prefs.showStatusBar,
        activeStateChanged: prefsChanged
      });
    }

    // warning, save before the deadline, and shutting-down notice
    let warningId: string | null = null;
    let shutdownId: string | null = null;
    const dismissWarning = () => {
      if (warningId) {
        Notification.dismiss(warningId);
        warningId = null;
      }
    };
    status.deadlineEvent.connect((_, event: IDeadlineEvent) => {
      const what = fmt.shutdown(status.current?.environment.kind);
      switch (event.kind) {
        case 'warning':
          dismissWarning();
          warningId = Notification.warning(
            prefs.saveBeforeShutdown
              ? trans.__(
                  'Idle shutdown in %1 (at %2): %3. Open documents will be saved first.',
                  fmt.duration(event.remaining),
                  fmt.clock(event.deadline),
                  what
                )
              : trans.__(
                  'Idle shutdown in %1 (at %2): %3.',
                  fmt.duration(event.remaining),
                  fmt.clock(event.deadline),
                  what
                ),
            {
              autoClose: false,
              actions: [
                {
                  label: trans.__('Keep running'),
                  caption: trans.__('Reset the idle clock'),
                  displayType: 'accent',
                  callback: () => {
                    void commands.execute(CommandIDs.keepRunning);
                  }
                }
              ]
            }
          );
          break;
        case 'clear':
          dismissWarning();
          break;
        case 'save':
          if (prefs.saveBeforeShutdown) {
            void saveDirtyDocuments(app, status);
          }
          break;
        case 'shutting-down': {
          dismissWarning();
          if (prefs.saveBeforeShutdown) {
            void saveDirtyDocuments(app, status);
          }
          const idle = status.current?.idle;
          const reasons = idle ? idleReasons(fmt, idle) : [];
          if (shutdownId) {
            Notification.dismiss(shutdownId);
          }
          shutdownId = Notification.warning(
            reasons.length
              ? trans.__(
                  'Shutting down: %1 (%2). This page stops working once it is done; reopen it from SageMaker to start again.',
                  what,
                  reasons.join(trans._p('list separator', '; '))
                )
              : trans.__(
                  'Shutting down: %1. This page stops working once it is done; reopen it from SageMaker to start again.',
                  what
                ),
            { autoClose: false }
          );
          break;
        }
      }
    });

    const applyPrefs = (settings: ISettingRegistry.ISettings) => {
      const c = settings.composite as Partial<IPreferences>;
      prefs.refreshInterval = Number(
        c.refreshInterval ?? DEFAULTS.refreshInterval
      );
      prefs.showStatusBar = c.showStatusBar ?? DEFAULTS.showStatusBar;
      prefs.saveBeforeShutdown =
        c.saveBeforeShutdown ?? DEFAULTS.saveBeforeShutdown;
      status.interval = prefs.refreshInterval;
      prefsChanged.emit();
    };
    // training jobs (issue 17)
    registerJobCommands(
      app,
      model.jobs,
      fmt,
      () => status.current?.price ?? null,
      // the cheapest type the measured use fits (the right-sizing rules' own pick)
      () =>
        model.recommendations.current?.items.find(
          i => i.rule === 'over_provisioned' || i.rule === 'gpu_idle'
        ) ?? null,
      palette,
      fileBrowser
    );

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          applyPrefs(settings);
          settings.changed.connect(applyPrefs);
        })
        .catch(reason => {
          console.error('jupyterlab-smcost: cannot load settings', reason);
        });
    }
  }
};

export default plugin;
