import { buildSegmentsApp } from './segments-app.ts';

// Settings come from context: cdk.json, or `cdk deploy -c key=value` (see README, "Deploy to AWS").
buildSegmentsApp().app.synth();
