import { Section } from '../../components/Section';

export function ApiKeysSection() {
  return <Section title="API keys">{null}</Section>;
}
