import { Section } from '../../components/Section';

export function PasswordSection() {
  return <Section title="Password">{null}</Section>;
}
