/** Seed: 恢复初始化 item 9: 获取 DMK 校验值. */
import { procedure } from './types.ts';

export const getDmkKcv = procedure(
  'dmk-kcv',
  { zh: '获取 DMK 校验值', en: 'Get DMK check value' },
  { zh: '密钥管理 > 获取 DMK 校验值', en: 'Key management > Get DMK check value' },
  [
    {
      step: 'read',
      kind: 'device',
      zh: '单击密钥管理 > 获取 DMK 校验值，获取 DMK 校验值。',
      en: 'Click Key management > Get DMK check value to read the DMK check value.',
    },
    {
      step: 'compare',
      kind: 'device',
      zh: '当 DMK 同步到多台 EVSM 时，比对多台 EVSM 的 DMK 校验值来确定同步后的 DMK 是否一致。',
      en: 'After the DMK is synced to several EVSMs, compare their DMK check values to confirm they hold the same DMK.',
    },
  ],
);
