// The mail pipeline's public face: the rest of the service imports from here.
export { createMailPipeline, type MailPipeline, type MailPipelineOptions } from './mail-pipeline.js';
export type { MailQueueHealth } from './mail-queue.js';
export {
  InvalidMailMessageError,
  MailQueueUnavailableError,
  type MailMessage,
  type MailSender,
} from './mail-sender.js';
export { DEFAULT_MAIL_SETTINGS, loadMailSettings, type MailSettings } from './mail-settings.js';
export { MAIL_TEMPLATE_NAMES, type MailTemplateName, type MailTemplateParams } from './templates/mail-templates.js';
