import QRCode from 'qrcode';

/**
 * Quiet zone around the symbol, in modules. ISO/IEC 18004 asks for 4; scanners
 * on phones struggle when a page's own content touches the code.
 */
export const QR_QUIET_ZONE_MODULES = 4;

/**
 * An SVG QR code of `uri` (the otpauth URI), for the enrollment screen.
 * Error correction M restores ~15 % of damaged modules: enough for a screen,
 * while keeping the symbol smaller than Q or H for a ~100-character URI.
 * Deterministic: the same URI always gives the same SVG.
 */
export function qrCodeSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: QR_QUIET_ZONE_MODULES });
}
