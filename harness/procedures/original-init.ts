/** Seed: 外部存储 › 步骤1：原始初始化 (DMK as ≥ 2 component UKEYs; 2-of-3 authorization recommended). */
import { procedure } from './types.ts';

export const originalInit = procedure(
  'original-init',
  { zh: '原始初始化', en: 'Original init' },
  { zh: '密钥管理 > 原始初始化', en: 'Key management > Original init' },
  [
    {
      step: 'open',
      kind: 'operator',
      zh: '登录 VsmManager 软件，单击密钥管理 > 原始初始化。',
      en: 'Log in to VsmManager and click Key management > Original init.',
    },
    {
      step: 'write-component-ukeys',
      kind: 'token',
      zh: '产生至少2个 DMK 成份 UKEY：依次插入空白 UKEY 并输入口令。',
      en: 'Make at least 2 DMK component UKEYs: insert each blank UKEY in turn and enter its PIN.',
    },
    {
      step: 'choose-auth-policy',
      kind: 'operator',
      zh: '确定授权控制机制，建议采用3选2授权控制机制。',
      en: 'Choose the authorization policy; 2-of-3 is recommended.',
    },
    {
      step: 'write-auth-ukeys',
      kind: 'token',
      zh: '制作授权 UKEY（3选2 时制作3个授权 UKEY）：依次插入空白 UKEY 并输入口令。',
      en: 'Make the authorization UKEYs (3 for 2-of-3): insert each blank UKEY in turn and enter its PIN.',
    },
    {
      step: 'done',
      kind: 'device',
      zh: 'EVSM 合成 DMK 并保存授权信息，原始初始化完成。',
      en: 'The EVSM combines the DMK and stores the authorization; original init is done.',
    },
  ],
);
