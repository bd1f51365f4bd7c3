import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SegmentsDataStack, dataStackSettingsFromContext } from './data-stack.ts';
import { SegmentsRefreshStack } from './refresh-stack.ts';
import { refreshSettingsFromContext } from './refresh-settings.ts';

export interface SegmentsApp {
  readonly app: App;
  readonly data: SegmentsDataStack;
  readonly refresh: SegmentsRefreshStack;
}

/**
 * The whole deployment, built the same way by `cdk synth` (infra/app.ts) and by the tests. Every setting comes
 * from context and is validated before any construct exists, so a bad value fails with its key's name.
 */
export function buildSegmentsApp(props: AppProps = {}): SegmentsApp {
  const app = new App(props);
  const dataSettings = dataStackSettingsFromContext(app);
  const refreshSettings = refreshSettingsFromContext(app);

  // Env-agnostic on purpose: the same synthesized templates deploy to whichever account/region the CLI targets,
  // and nothing here needs a lookup that would pin them to one.
  const data = new SegmentsDataStack(app, 'SegmentsDataStack', { settings: dataSettings });
  const refresh = new SegmentsRefreshStack(app, 'SegmentsRefreshStack', { data, settings: refreshSettings });

  // cdk-nag 3 is a validation plugin: unacknowledged errors fail the synth, listed in the validation report.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, refresh };
}
