import { Section } from '../../components/Section';

export function EmailSection() {
  return <Section title="E-mail address">{null}</Section>;
}
