import { App } from 'aws-cdk-lib';
import { SegmentsDataStack, dataStackSettingsFromContext } from './data-stack.ts';

const app = new App();

// Env-agnostic on purpose: the same synthesized template deploys to whichever account/region the CLI targets,
// and nothing here needs a lookup that would pin it to one.
new SegmentsDataStack(app, 'SegmentsDataStack', {
  // Reads lakeBucketName (import an existing lake instead of creating one) and the other optional settings.
  settings: dataStackSettingsFromContext(app),
});

app.synth();
