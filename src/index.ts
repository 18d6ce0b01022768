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
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';

import {
  describeShutdown,
  formatClock,
  formatDuration,
  formatRate
} from './format';
import { costIcon } from './icon';
import { IDeadlineEvent, SmCostModel } from './model';
import { SmCostPanel } from './panel';
import { SmCostError } from './request';
import { SmCostStatusItem } from './statusbar';
import {
  CATEGORY,
  CommandIDs,
  PANEL_ID,
  PLUGIN_ID,
  STATUS_ITEM_ID
} from './tokens';

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
  model?: SmCostModel
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
  optional: [ICommandPalette, IStatusBar, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const prefs: IPreferences = { ...DEFAULTS };
    const prefsChanged = new Signal<any, void>(app);
    const model = new SmCostModel({ interval: prefs.refreshInterval });
    const { commands } = app;

    const panel = new SmCostPanel(model, commands);
    app.shell.add(panel, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    const notify = (promise: Promise<unknown>, what: string) =>
      promise.catch(e => {
        Notification.error(
          `${what} failed: ${e instanceof SmCostError ? e.message : String(e)}`,
          { autoClose: 8000 }
        );
      });

    commands.addCommand(CommandIDs.open, {
      label: 'Open SageMaker cost panel',
      caption: 'Show instance cost and the idle-shutdown countdown',
      icon: args => (args['isPalette'] ? undefined : costIcon),
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });

    commands.addCommand(CommandIDs.keepRunning, {
      label: 'Keep running (reset the idle clock)',
      caption: 'Restart the idle-shutdown countdown',
      isEnabled: () => {
        const state = model.status?.idle.state;
        return state !== 'shutting_down' && state !== 'disabled';
      },
      execute: () =>
        notify(
          model.keepAlive().then(deadline => {
            Notification.success(
              deadline
                ? `Keeping it running: idle shutdown now at ${formatClock(deadline)}.`
                : 'Keeping it running.',
              { autoClose: 4000 }
            );
          }),
          'Keep running'
        )
    });

    commands.addCommand(CommandIDs.shutdown, {
      label: 'Shut down now…',
      caption: 'Stop this instance/app now (asks first)',
      isEnabled: () =>
        !!model.status?.environment.can_shutdown &&
        model.status.idle.state !== 'shutting_down' &&
        model.configErrors.length === 0,
      execute: async () => {
        const status = model.status;
        const kind = status?.environment.kind;
        const result = await showDialog({
          title: 'Shut down now?',
          body:
            `${describeShutdown(kind)}. ` +
            (prefs.saveBeforeShutdown
              ? 'Open documents are saved first. '
              : 'Unsaved changes in open documents are lost. ') +
            (status
              ? `It costs ${formatRate(status.price.per_hour)} while running.`
              : ''),
          buttons: [
            Dialog.cancelButton(),
            Dialog.warnButton({ label: 'Shut down' })
          ]
        });
        if (!result.button.accept) {
          return;
        }
        if (prefs.saveBeforeShutdown) {
          await saveDirtyDocuments(app, model);
        }
        await notify(model.shutdown(), 'Shut down');
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
          category: CATEGORY,
          args: { isPalette: true }
        });
      }
    }

    model.changed.connect(() => {
      commands.notifyCommandChanged(CommandIDs.keepRunning);
      commands.notifyCommandChanged(CommandIDs.shutdown);
    });

    if (statusBar) {
      const item = new SmCostStatusItem(model, () => {
        void commands.execute(CommandIDs.open);
      });
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
    model.deadlineEvent.connect((_, event: IDeadlineEvent) => {
      const kind = model.status?.environment.kind;
      switch (event.kind) {
        case 'warning':
          dismissWarning();
          warningId = Notification.warning(
            `Idle shutdown in ${formatDuration(event.remaining)} ` +
              `(at ${formatClock(event.deadline)}): ${describeShutdown(kind)}.` +
              (prefs.saveBeforeShutdown
                ? ' Open documents will be saved first.'
                : ''),
            {
              autoClose: false,
              actions: [
                {
                  label: 'Keep running',
                  caption: 'Reset the idle clock',
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
            void saveDirtyDocuments(app, model);
          }
          break;
        case 'shutting-down': {
          dismissWarning();
          if (prefs.saveBeforeShutdown) {
            void saveDirtyDocuments(app, model);
          }
          const reasons = model.status?.idle.reasons ?? [];
          if (shutdownId) {
            Notification.dismiss(shutdownId);
          }
          shutdownId = Notification.warning(
            `Shutting down: ${describeShutdown(kind)}.` +
              (reasons.length ? ` (${reasons.join('; ')})` : '') +
              ' This page stops working once it is done; reopen it from SageMaker to start again.',
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
      model.interval = prefs.refreshInterval;
      prefsChanged.emit();
    };
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
