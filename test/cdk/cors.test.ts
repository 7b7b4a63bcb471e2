/**
 * CORS of the HTTP API: configured only for the origins listed, which the stack does not default to
 * (see app.test.ts for the default: none).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { MqttUrlVending } from '../../lib/mqtt-url-vending.js';

describe('CORS', () => {
  it('answers preflights for the listed origins only, for GET with an Authorization header', () => {
    const stack = new Stack(new App(), 'Cors');
    new MqttUrlVending(stack, 'Vending', {
      iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      allowedOrigins: ['https://app.example.com', 'http://localhost:3000'],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com', 'http://localhost:3000'],
        AllowMethods: ['GET'],
        AllowHeaders: ['authorization'],
        ExposeHeaders: ['retry-after'],
        MaxAge: 3600,
      },
    });
  });
});
