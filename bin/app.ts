/**
 * The CDK app. The vending stack lands with the CDK issue; until then the app is empty so that
 * `npx cdk synth` already works offline.
 */
import { App } from 'aws-cdk-lib';

new App().synth();
