import { Section } from '../../components/Section';

export function RecoveryCodesSection() {
  return <Section title="Recovery codes">{null}</Section>;
}
