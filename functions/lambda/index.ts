export { createLambdaHandler, type Authorize, type HttpApiCacheCheck, type LambdaAuthorizerResult, type LambdaHandler, type LambdaHandlerOptions } from "./handler.ts";
export { fromTokenEvent, type RestInput } from "./token-event.ts";
export { fromRequestEvent } from "./request-event.ts";
export { fromHttpEvent, type HttpInput } from "./http-event.ts";
export { parseMethodArn, type MethodArn } from "./method-arn.ts";
export { authorizerContext, iamPolicyResponse, simpleResponse, type AuthorizerContext, type IamPolicyResponse, type SimpleResponse } from "./respond.ts";
export { createLambdaEntry, type LambdaEntryInput } from "./main.ts";
